import { z } from "zod";
import { says } from "../../shared/messages";
import { outreachChannels, outreachOutcomes } from "./tables";

export const recordOutreachInput = z.object({
  participantId: z.number().int(),
  channel: z.enum(outreachChannels),
  outcome: z.enum(outreachOutcomes),
  note: z
    .string()
    .trim()
    .max(500, says("INVALID_INPUT.noteLong"))
    .nullish()
    .transform((note) => (note ? note : null)),
});
export type RecordOutreachInput = z.input<typeof recordOutreachInput>;
