/** The three renderings of plans and run results: terminal text, Markdown for GitHub, and versioned JSON. */
export { type TextOptions, renderPlanText, renderResultText } from "./text";
export { type MarkdownOptions, DEFAULT_MARKDOWN_BUDGET_BYTES, renderPlanMarkdown, renderResultMarkdown } from "./markdown";
export { type PlanDocument, PLAN_SCHEMA_VERSION, planDocument, renderPlanJson, renderResultJson } from "./json";
export { stopSentence } from "./sentences";
