import { startEmbeddedPostgres } from "../embedded-postgres";
import { migrateDatabase } from "../migrate";
import { closeNodeProxy, connectNode } from "../node-database";
import { seedDemoData } from "../seed/demo";
import { seedReferenceData } from "../seed/reference";

const pg = await startEmbeddedPostgres({});
const { db, close } = await connectNode(pg.url);
await migrateDatabase(db);
await seedReferenceData(db);
const t = Date.now();
console.log(await seedDemoData(db), Date.now() - t);
console.log((await pg.db.query("select paid_through is null as pending, count(*) from participants group by 1")).rows);
await close();
await closeNodeProxy();
await pg.stop();
