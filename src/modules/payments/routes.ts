import type { ModuleRoute } from "../../http/routes";
import { handlePaymentWebhook } from "./webhook";

/** Payment channels report outcomes here, signed with their shared secret (no API credential). */
export const paymentRoutes: readonly ModuleRoute[] = [
  {
    method: "POST",
    path: "/webhooks/payments/:channel",
    access: "signed",
    async handle(request) {
      const reply = await handlePaymentWebhook(
        { ...request.service, secrets: request.env.paymentChannelSecrets },
        request.param("channel"),
        request.header("x-signature"),
        await request.text(),
      );
      // A settlement, failure or refund wrote partner events.
      return { ...reply, wroteEvents: reply.status === 200 };
    },
  },
];
