import { sql } from "drizzle-orm";
import type { Database, Transaction } from "./client";
import { messagesOf, sqlStateOf } from "./errors";

/** A read PostgreSQL cancelled at its time budget (statement_timeout: SQLSTATE 57014). */
export class ReadOverBudget extends Error {
  constructor(
    readonly budgetMs: number,
    options?: ErrorOptions,
  ) {
    super(`the read ran past its budget of ${budgetMs} ms`, options);
    this.name = "ReadOverBudget";
  }
}

/**
 * Runs a read whose cost grows with the participants it counts in a read-only transaction whose
 * statements PostgreSQL cancels after `budgetMs`: past it no one is waiting for the answer (the
 * edge gives up on a response after 100 s), and the database should not go on computing it for a
 * caller who has left, nor for one who asks again. Throws ReadOverBudget when cancelled.
 */
export async function readWithinBudget<T>(
  db: Database,
  budgetMs: number,
  read: (tx: Transaction) => Promise<T>,
): Promise<T> {
  try {
    return await db.transaction(
      async (tx) => {
        await tx.execute(sql`select set_config('statement_timeout', ${String(Math.round(budgetMs))}, true)`);
        return read(tx);
      },
      { accessMode: "read only" },
    );
  } catch (error) {
    // query_canceled is also an operator's pg_cancel_backend: only the timeout is the budget's.
    if (sqlStateOf(error) === "57014" && /statement timeout/.test(messagesOf(error)))
      throw new ReadOverBudget(budgetMs, { cause: error });
    throw error;
  }
}
