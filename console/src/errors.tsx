/** Showing the API's refusals: each field violation next to the field it names, the rest above the form. */
import { Alert, type FormInstance } from 'antd';
import { ApiError } from './api';

/** `person.identities[0].attributes.disabilityGrade` → ['person', 'identities', 0, 'attributes', 'disabilityGrade']. */
export const namePath = (field: string): (string | number)[] =>
  field
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '')
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));

/** Puts the violations on the form's fields; returns what no field of the form shows. */
export function showOnFields(form: FormInstance, e: unknown, known: (path: (string | number)[]) => boolean): unknown {
  if (!(e instanceof ApiError) || !e.fieldViolations.length) return e;
  const placed = e.fieldViolations.filter((v) => known(namePath(v.field)));
  form.setFields(placed.map((v) => ({ name: namePath(v.field), errors: [v.description] })));
  return placed.length === e.fieldViolations.length ? undefined : e;
}

export function ErrorAlert({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : undefined;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      style={{ marginBottom: 16 }}
      title={e ? `${e.reason}` : String(error)}
      description={e ? `${e.message}${e.requestId ? ` (${e.requestId})` : ''}` : undefined}
    />
  );
}
