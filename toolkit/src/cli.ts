#!/usr/bin/env node
// Entry point of `npm run toolkit -- <command>`: the command table lives in cli/commands.ts.
import { COMMANDS } from "./cli/commands.js";
import { runCli } from "./cli/framework.js";
import { processIo } from "./cli/io.js";

process.exitCode = await runCli(COMMANDS, process.argv.slice(2), processIo());
