/** One invalid field of a request, named by its dotted path (`payload.to`, `jobs.3.priority`). */
export interface FieldError {
  field: string;
  message: string;
}

/** A FieldError with the name of the rule it broke (`isEmail`, `whitelistValidation`...). */
export interface FieldIssue extends FieldError {
  constraint: string;
}
