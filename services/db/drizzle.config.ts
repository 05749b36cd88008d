// drizzle-kit configuration: `npx drizzle-kit generate --config services/db/drizzle.config.ts`
// regenerates SQL after a schema change (review it; never edit an applied migration).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./services/db/src/schema.ts",
  out: "./services/db/migrations",
});
