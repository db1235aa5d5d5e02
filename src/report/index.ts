/** The three renderings of plans and run results: terminal text, Markdown for GitHub, and versioned JSON. */
export { renderPlanText, renderResultText } from "./text";
export { DEFAULT_MARKDOWN_BUDGET_BYTES, renderPlanMarkdown, renderResultMarkdown } from "./markdown";
export { PLAN_SCHEMA_VERSION, renderPlanJson, renderResultJson } from "./json";
export { stopSentence } from "./sentences";
