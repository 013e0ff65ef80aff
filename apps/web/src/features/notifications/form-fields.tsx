'use client';

/** Labelled inputs of the notification forms (names are the form's keys). */
export function Field({
  idPrefix,
  name,
  label,
  hint,
  defaultValue,
  type = 'text',
  placeholder,
  required,
}: {
  idPrefix: string;
  name: string;
  label: string;
  hint?: string | undefined;
  defaultValue?: string | number | undefined;
  type?: string;
  placeholder?: string | undefined;
  required?: boolean;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <input
        id={id}
        name={name}
        type={type}
        className="input"
        defaultValue={defaultValue}
        placeholder={placeholder}
        required={required}
        autoComplete={type === 'password' ? 'new-password' : 'off'}
      />
      {hint ? <span className="field-hint">{hint}</span> : null}
    </div>
  );
}

/** A write-only secret: empty on edit, with a note that a value is stored and kept. */
export function SecretField({
  idPrefix,
  name,
  label,
  stored,
  required,
  hint,
}: {
  idPrefix: string;
  name: string;
  label: string;
  stored: boolean;
  required?: boolean;
  hint?: string;
}) {
  return (
    <Field
      idPrefix={idPrefix}
      name={name}
      label={label}
      type="password"
      required={required && !stored}
      placeholder={stored ? 'stored: leave empty to keep' : ''}
      hint={hint}
    />
  );
}

export function TextArea({
  idPrefix,
  name,
  label,
  hint,
  defaultValue,
  placeholder,
}: {
  idPrefix: string;
  name: string;
  label: string;
  hint?: string;
  defaultValue?: string;
  placeholder?: string;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <textarea
        id={id}
        name={name}
        className="input"
        rows={3}
        defaultValue={defaultValue}
        placeholder={placeholder}
        style={{ height: 'auto', fontFamily: 'var(--font-mono, monospace)', fontSize: 12 }}
      />
      {hint ? <span className="field-hint">{hint}</span> : null}
    </div>
  );
}

export function Select<V extends string>({
  idPrefix,
  name,
  label,
  value,
  defaultValue,
  options,
  onChange,
}: {
  idPrefix: string;
  name: string;
  label: string;
  value?: V;
  defaultValue?: V | undefined;
  options: readonly { value: V; label: string }[];
  onChange?: (value: V) => void;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <div className="field">
      <label className="field-label" htmlFor={id}>
        {label}
      </label>
      <select
        id={id}
        name={name}
        className="select"
        {...(value !== undefined ? { value } : { defaultValue })}
        onChange={onChange ? (e) => onChange(e.target.value as V) : undefined}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Check({
  idPrefix,
  name,
  label,
  defaultChecked,
}: {
  idPrefix: string;
  name: string;
  label: string;
  defaultChecked?: boolean;
}) {
  const id = `${idPrefix}-${name}`;
  return (
    <label
      className="field"
      htmlFor={id}
      style={{ alignSelf: 'end', display: 'flex', gap: 6, alignItems: 'center' }}
    >
      <input id={id} type="checkbox" name={name} defaultChecked={defaultChecked} />
      <span>{label}</span>
    </label>
  );
}

/** A form's value as trimmed text. */
export const str = (form: FormData, name: string) => String(form.get(name) ?? '').trim();
/** Comma- or line-separated list. */
export const list = (form: FormData, name: string) =>
  str(form, name)
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
/** `Name: value` lines (headers) as a record. */
export function headerLines(form: FormData, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of str(form, name).split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return out;
}
