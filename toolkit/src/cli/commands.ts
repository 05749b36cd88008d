import type { CommandSpec } from "./framework.js";
import { ceremonyLink, ceremonyRun, transcriptSign, transcriptVerify } from "./commands/ceremony.js";
import { partyCheck, partyCreate } from "./commands/party.js";
import { qrDecode, qrEncode } from "./commands/qr.js";
import { burnList, requestShow } from "./commands/request.js";
import { shareVerify } from "./commands/shares.js";
import {
  evmSign,
  frostAggregateCommand,
  frostRelayCollect,
  frostRelayCommand,
  frostRound1Command,
  frostRound2Command,
} from "./commands/sign.js";
import { sweepPrepare } from "./commands/sweep.js";

/** Every command of the toolkit's CLI, in the order `--help` lists them (the order of a recovery). */
export const COMMANDS: readonly CommandSpec[] = [
  partyCreate,
  partyCheck,
  ceremonyRun,
  transcriptVerify,
  transcriptSign,
  shareVerify,
  requestShow,
  evmSign,
  frostRound1Command,
  frostRelayCommand,
  frostRelayCollect,
  frostRound2Command,
  frostAggregateCommand,
  burnList,
  sweepPrepare,
  ceremonyLink,
  qrEncode,
  qrDecode,
];
