import type { Provider, Type } from "@nestjs/common";
import { SignerClient } from "../../../signer/src/client.js";
import type { ApiConfig } from "../config.js";
import { CONFIG } from "../tokens.js";
import type { PolicyChainSink } from "./policy-lifecycle.service.js";
import { PolicyController } from "./policy.controller.js";
import { PolicyEnforcementService } from "./policy-enforcement.service.js";
import { PolicyLifecycleService } from "./policy-lifecycle.service.js";
import { policySettingsFromEnv, type PolicySettings } from "./settings.js";
import { POLICY_CHAIN_SINK, POLICY_SETTINGS } from "./tokens.js";

/** The policy area's controllers; app.ts spreads them into the one API module. */
export const POLICY_CONTROLLERS: Type[] = [PolicyController];

/** The policy area's providers; `settings` defaults to the environment (see settings.ts). */
export function policyProviders(settings?: PolicySettings): Provider[] {
  return [
    { provide: POLICY_SETTINGS, useFactory: () => settings ?? policySettingsFromEnv(process.env) },
    {
      provide: POLICY_CHAIN_SINK,
      inject: [CONFIG],
      // The hot signer verifies every pushed chain back to its own pinned genesis quorum.
      useFactory: (config: ApiConfig): PolicyChainSink | null =>
        config.signerToken === undefined
          ? null
          : {
              push: async (chain) => {
                await new SignerClient({ url: config.signerUrl, token: config.signerToken! }).pushPolicyChain(
                  chain,
                );
              },
            },
    },
    PolicyLifecycleService,
    PolicyEnforcementService,
  ];
}
