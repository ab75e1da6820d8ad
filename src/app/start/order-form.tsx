"use client";
/**
 * The order form. Rendered on the server too, so it posts and shows the server's field errors
 * without JavaScript; with it, useActionState submits in place. `noValidate`: the server's
 * schema is the one judge, so the messages are the same with or without a browser's checks.
 */
import { useActionState, useEffect, useRef, useState, type ReactNode } from "react";
import { submitOrder } from "./actions";
import {
  INITIAL_ORDER_STATE,
  LANGUAGE_LABELS,
  PAGE_LABELS,
  TONE_LABELS,
  type FieldName,
  type OrderFormState,
} from "./form-state";

const HEX_COLOUR = /^#?[0-9a-fA-F]{6}$/;

/** id, name and the aria attributes tying a control to its hint and its error. */
function control(state: OrderFormState, name: FieldName, hint = false) {
  const error = state.errors[name];
  const describedBy = [hint ? `${name}-hint` : "", error ? `${name}-error` : ""].filter(Boolean).join(" ");
  return { id: name, name, "aria-invalid": error ? true : undefined, "aria-describedby": describedBy || undefined };
}

function FieldError({ state, name }: { state: OrderFormState; name: FieldName }) {
  const error = state.errors[name];
  return error ? (
    <p className="field-error" id={`${name}-error`}>
      <span aria-hidden="true">⚠ </span>
      {error}
    </p>
  ) : null;
}

function Field({
  state,
  name,
  label,
  hint,
  children,
}: {
  state: OrderFormState;
  name: FieldName;
  label: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={state.errors[name] ? "field field-invalid" : "field"}>
      <label htmlFor={name}>{label}</label>
      {hint ? (
        <p className="field-hint" id={`${name}-hint`}>
          {hint}
        </p>
      ) : null}
      <FieldError state={state} name={name} />
      {children}
    </div>
  );
}

/** The brand colour as text (omittable), with a swatch once it is a colour. */
function BrandColour({ state }: { state: OrderFormState }) {
  const [colour, setColour] = useState(state.values.brandColor);
  const valid = HEX_COLOUR.test(colour.trim());
  return (
    <Field
      state={state}
      name="brandColor"
      label="Brand colour (optional)"
      hint="A hex colour such as #1a6b5c. Leave it empty and we choose one that suits your business."
    >
      <div className="colour-input">
        <input
          {...control(state, "brandColor", true)}
          type="text"
          defaultValue={state.values.brandColor}
          placeholder="#1a6b5c"
          maxLength={7}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          onChange={(e) => setColour(e.currentTarget.value)}
        />
        <span
          className="colour-swatch"
          aria-hidden="true"
          style={
            valid ? { background: colour.trim().startsWith("#") ? colour.trim() : `#${colour.trim()}` } : undefined
          }
        />
      </div>
    </Field>
  );
}

export function OrderForm({ submitLabel }: { submitLabel: string }) {
  const [state, formAction, pending] = useActionState(submitOrder, INITIAL_ORDER_STATE);
  const summary = useRef<HTMLDivElement>(null);
  const errorCount = Object.keys(state.errors).length;
  const hasProblem = errorCount > 0 || Boolean(state.formError);

  // After a submission with problems, move focus to the summary so it is read out first.
  useEffect(() => {
    if (state.attempt > 0 && hasProblem) summary.current?.focus();
  }, [state.attempt, hasProblem]);

  const v = state.values;
  return (
    <form action={formAction} noValidate className="order-form" key={state.attempt} aria-describedby="form-note">
      <p id="form-note" className="form-note">
        All fields are required unless marked optional.
      </p>
      {hasProblem ? (
        <div className="notice notice-error" role="alert" tabIndex={-1} ref={summary} id="form-problems">
          {state.formError ? <p>{state.formError}</p> : null}
          {errorCount > 0 ? (
            <>
              <p>
                <strong>
                  {errorCount === 1 ? "One field needs your attention:" : `${errorCount} fields need your attention:`}
                </strong>
              </p>
              <ul>
                {Object.entries(state.errors).map(([name, message]) => (
                  <li key={name}>
                    <a href={`#${name === "pages" ? "pages-home" : name}`}>{message}</a>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </div>
      ) : null}

      <fieldset className="form-section">
        <legend>Your business</legend>
        <Field state={state} name="businessName" label="Business name">
          <input
            {...control(state, "businessName")}
            type="text"
            defaultValue={v.businessName}
            maxLength={120}
            autoComplete="organization"
            required
          />
        </Field>
        <Field state={state} name="industry" label="Industry" hint="For example: bakery, plumbing, accounting firm.">
          <input {...control(state, "industry", true)} type="text" defaultValue={v.industry} maxLength={120} required />
        </Field>
        <Field
          state={state}
          name="audience"
          label="Audience"
          hint="Who should the site speak to? For example: families in Lyon looking for fresh bread."
        >
          <textarea {...control(state, "audience", true)} defaultValue={v.audience} maxLength={300} rows={3} required />
        </Field>
        <Field
          state={state}
          name="tagline"
          label="Tagline (optional)"
          hint="A short line under your name; we write one if you leave it empty."
        >
          <input {...control(state, "tagline", true)} type="text" defaultValue={v.tagline} maxLength={160} />
        </Field>
      </fieldset>

      <fieldset className="form-section">
        <legend>Your site</legend>
        <Field state={state} name="tone" label="Tone">
          <select {...control(state, "tone")} defaultValue={v.tone} required>
            {Object.entries(TONE_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <Field state={state} name="language" label="Language">
          <select {...control(state, "language")} defaultValue={v.language} required>
            {Object.entries(LANGUAGE_LABELS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </Field>
        <fieldset
          className={state.errors.pages ? "field choices field-invalid" : "field choices"}
          aria-describedby={state.errors.pages ? "pages-error" : undefined}
        >
          <legend>Pages wanted</legend>
          <FieldError state={state} name="pages" />
          <div className="choice-grid">
            {Object.entries(PAGE_LABELS).map(([value, label]) => (
              <label key={value} className="choice" htmlFor={`pages-${value}`}>
                <input
                  type="checkbox"
                  id={`pages-${value}`}
                  name="pages"
                  value={value}
                  defaultChecked={v.pages.includes(value)}
                  aria-invalid={state.errors.pages ? true : undefined}
                  aria-describedby={state.errors.pages ? "pages-error" : undefined}
                />
                <span>{label}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <BrandColour state={state} />
      </fieldset>

      <fieldset className="form-section">
        <legend>How we reach you</legend>
        <Field state={state} name="contactEmail" label="Contact email" hint="We send the link to your new site here.">
          <input
            {...control(state, "contactEmail", true)}
            type="email"
            inputMode="email"
            defaultValue={v.contactEmail}
            maxLength={254}
            autoComplete="email"
            required
          />
        </Field>
        <Field
          state={state}
          name="publicEmail"
          label="Email shown on your site (optional)"
          hint="Published on your contact page for your customers. Leave empty to publish no address: your contact email above stays private."
        >
          <input
            {...control(state, "publicEmail", true)}
            type="email"
            inputMode="email"
            defaultValue={v.publicEmail}
            maxLength={254}
            autoComplete="off"
          />
        </Field>
      </fieldset>

      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={pending}>
          {pending ? "Sending your order…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
