// @ts-check
// ESLint over every TypeScript and JavaScript file of the repository, with typescript-eslint's strict
// and stylistic type-checked presets; formatting is Prettier's alone (eslint-config-prettier, last).
import eslint from "@eslint/js";
import prettier from "eslint-config-prettier/flat";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  {
    ignores: ["dist/", "lib/", "coverage/", "cdktf.out/", ".cipp-cpv/", "node_modules/"],
  },
  eslint.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // The JavaScript files (scripts, bin, configs) sit outside tsconfig.json; they are type-checked
        // as TypeScript's default project would check them.
        projectService: { allowDefaultProject: ["*.js", "*.mjs", "bin/*.js", "scripts/*.mjs", "test/helpers/*.cjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      // Numbers in messages and reports ("3 of 5 tenants", an HTTP status) read as they print; objects,
      // null, undefined and unknown values stay refused.
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      // Brackets mark a key read through an index signature (process.env["CI"], a parsed body's field)
      // as one that may be absent; dot notation stays required for declared properties.
      "@typescript-eslint/dot-notation": ["error", { allowIndexSignaturePropertyAccess: true }],
      // The strict preset refuses `x!`; this stylistic rule would ask for it in place of `x as T`.
      "@typescript-eslint/non-nullable-type-assertion-style": "off",
      // Callbacks written as arrow shorthand (`(done) => server.close(done)`) are the code's style.
      "@typescript-eslint/no-confusing-void-expression": ["error", { ignoreArrowShorthand: true }],
      // GitHub passes an unset input or variable as "": `||` on strings deliberately treats "" as unset.
      "@typescript-eslint/prefer-nullish-coalescing": ["error", { ignorePrimitives: { string: true } }],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // bin/, the jest configs and .cjs preloads are CommonJS (package.json has no "type": "module").
    files: ["bin/*.js", "jest.config.js", "jest.chaos.config.js", "**/*.cjs"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  prettier,
);
