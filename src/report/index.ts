/** The three renderings of plans and run results: terminal text, Markdown for GitHub, and versioned JSON. */
export {
  type TextOptions,
  TEXT_SECTION_SEPARATOR,
  planTextSection,
  planTextSummary,
  renderPlanText,
  renderResultText,
  resultTextSection,
  resultTextSummary,
} from "./text";
export {
  type MarkdownOptions,
  DEFAULT_MARKDOWN_BUDGET_BYTES,
  PlanMarkdown,
  ResultMarkdown,
  renderPlanMarkdown,
  renderResultMarkdown,
} from "./markdown";
export {
  type JsonFrame,
  type PlanDocument,
  JSON_LIST,
  PLAN_SCHEMA_VERSION,
  jsonTenant,
  planDocument,
  planDocumentTenant,
  planJsonFrame,
  renderPlanJson,
  renderResultJson,
  resultJsonFrame,
} from "./json";
export { stopSentence } from "./sentences";
