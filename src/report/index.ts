/** The three renderings of plans and run results: terminal text, Markdown for GitHub, and versioned JSON. */
export {
  TEXT_SECTION_SEPARATOR,
  planTextSection,
  planTextSummary,
  renderPlanText,
  renderResultText,
  resultTextSection,
  resultTextSummary,
} from "./text";
export { DEFAULT_MARKDOWN_BUDGET_BYTES, PlanMarkdown, ResultMarkdown, renderPlanMarkdown, renderResultMarkdown } from "./markdown";
export {
  type JsonFrame,
  JSON_LIST,
  PLAN_SCHEMA_VERSION,
  jsonTenant,
  planDocumentTenant,
  planJsonFrame,
  renderPlanJson,
  renderResultJson,
  resultJsonFrame,
} from "./json";
export { stopSentence } from "./sentences";
