/** Client-side copies of the server's account rules (accounts/services.py), for instant feedback. */

export const USERNAME_MIN = 3
export const USERNAME_MAX = 30
export const PASSWORD_MIN = 8
// Letters of any script, digits, underscore and hyphen (Python's [\w-] on str).
const USERNAME_RE = /^[\p{L}\p{N}_-]+$/u

export type UsernameProblem = 'required' | 'length' | 'chars' | null
export type PasswordProblem = 'required' | 'length' | 'numeric' | null
export type ConfirmProblem = 'required' | 'mismatch' | null

export function usernameProblem(value: string): UsernameProblem {
  const name = value.trim()
  if (!name) return 'required'
  const length = [...name].length
  if (length < USERNAME_MIN || length > USERNAME_MAX) return 'length'
  if (!USERNAME_RE.test(name)) return 'chars'
  return null
}

export function passwordProblem(value: string): PasswordProblem {
  if (!value) return 'required'
  if ([...value].length < PASSWORD_MIN) return 'length'
  if (/^\d+$/.test(value)) return 'numeric'
  return null
}

export function confirmProblem(password: string, confirm: string): ConfirmProblem {
  if (!confirm) return 'required'
  if (password !== confirm) return 'mismatch'
  return null
}

/** The part of Element Plus's form instance that {@link revalidateShown} uses. */
interface ValidatableForm {
  fields: ReadonlyArray<{ prop?: unknown; validateState: string }>
  validateField: (props?: string[]) => Promise<unknown>
}

/**
 * Checks again the fields that show an error now (after a language switch the messages are
 * rewritten in the new language); fields without an error stay untouched.
 */
export function revalidateShown(form: ValidatableForm | undefined): void {
  if (!form) return
  const props = form.fields
    .filter((field) => field.validateState === 'error' && typeof field.prop === 'string')
    .map((field) => field.prop as string)
  if (props.length) void form.validateField(props).catch(() => undefined)
}
