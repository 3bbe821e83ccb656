export { fieldErrors, notFound, onError, problemFor, validationHook } from "./handlers";
export {
  FieldErrorSchema,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  ProblemSchema,
  problemType,
} from "./problem";
export { buildProblem, type ProblemInput, type ProblemSite, problemAt, problemResponse } from "./respond";
export { errorResponses } from "./responses";
