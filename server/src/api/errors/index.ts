export { ApiError, type ApiErrorOptions } from "./api-error";
export { codeForStatus, type ErrorCode, errorCodeList, errorCodes, problemType } from "./codes";
export { fieldErrors, notFound, onError, problemFor, validationHook } from "./handlers";
export {
  type FieldError,
  FieldErrorSchema,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  ProblemSchema,
} from "./problem";
export { buildProblem, type ProblemInput, type ProblemSite, problemAt, problemResponse } from "./respond";
export { errorResponses } from "./responses";
