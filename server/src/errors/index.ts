export { codeForStatus, type ErrorCode, type ErrorStatus, errorCodeList, errorCodes } from "./codes";
export {
  DomainError,
  type DomainErrorExtras,
  type FieldError,
  type FieldLocation,
  fieldError,
  isRefusal,
} from "./domain-error";
export { plural } from "./plural";
