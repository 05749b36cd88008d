import type { Provider, Type } from "@nestjs/common";
import { ConsoleController } from "../console/console.controller.js";
import { APPROVAL_SUBJECTS } from "./approval-subjects.js";
import { OPERATION_TRANSITIONS, PolicySubjects } from "./policy-subjects.js";
import { PolicyEnforcementService } from "../policy/policy-enforcement.service.js";
import { ApprovalsController } from "./approvals.controller.js";
import { ApprovalsRepository } from "./approvals.repository.js";
import { ApprovalsService } from "./approvals.service.js";
import { PasskeysController } from "./passkeys.controller.js";
import { PasskeysService } from "./passkeys.service.js";
import { ConsoleSessionGuard } from "./session.guard.js";
import { ACTIVE_POLICY, APPROVALS_REPOSITORY } from "./tokens.js";

/**
 * The approvals area (passkeys, console sessions, approvals). It lives in the one API module so
 * it shares the database, clock, audit log and idempotency store; app.ts spreads these lists in.
 */
export const APPROVALS_CONTROLLERS: Type[] = [PasskeysController, ApprovalsController, ConsoleController];

export const APPROVALS_PROVIDERS: Provider[] = [
  { provide: APPROVALS_REPOSITORY, useValue: new ApprovalsRepository() },
  // Passkey status ("active" when listed) follows the verified active policy.
  {
    provide: ACTIVE_POLICY,
    useFactory: (s: PolicySubjects) => ({ active: () => s.activePolicy() }),
    inject: [APPROVAL_SUBJECTS],
  },
  { provide: APPROVAL_SUBJECTS, useClass: PolicySubjects },
  // Policy enforcement moves operations on (queued at the threshold, failed on a rejection).
  { provide: OPERATION_TRANSITIONS, useExisting: PolicyEnforcementService },
  PasskeysService,
  ApprovalsService,
  ConsoleSessionGuard,
];
