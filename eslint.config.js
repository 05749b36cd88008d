// One lint entry point for all TypeScript in the repository.
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/**",
      "artifacts/**",
      "cache/**",
      "types/**",
      "coverage/**",
      "bench/results/**",
      ".tmp/**",
      "test-artifacts/**",
      ".coldpath/**",
      "**/*.d.ts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: "module",
      globals: { ...globals.node, ...globals.mocha },
    },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      eqeqeq: ["error", "always"],
      "no-console": "off",
    },
  },
  {
    // The offline toolkit must never import anything that can reach a network.
    files: ["toolkit/src/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: [
            "node:net",
            "node:http",
            "node:https",
            "node:http2",
            "node:dgram",
            "node:tls",
            "node:dns",
            "ethers",
            "@taquito/taquito",
            "@taquito/rpc",
          ].map((name) => ({ name, message: "the offline toolkit must not import networking code" })),
          patterns: [
            {
              group: ["**/services/**", "**/tezos/src/**", "**/tezos/sandbox/**"],
              message: "the offline toolkit imports nothing networked",
            },
          ],
        },
      ],
    },
  },
  prettier,
);
