// Messages announced to assistive technology: errors (role="alert") and confirmations
// (role="status").
import type { ReactNode } from 'react';
import { ApiError } from '../api';

export function ErrorAlert({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <div className="alert alert-error" role="alert">
      {messageOf(error)}
    </div>
  );
}

export function Notice({ children, tone = 'info' }: { children: ReactNode; tone?: 'info' | 'success' | 'warning' }) {
  return (
    <div className={`alert alert-${tone}`} role="status">
      {children}
    </div>
  );
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError || error instanceof Error) return error.message;
  return String(error);
}

/** The message of an ApiError aimed at `field`, to show next to that input. */
export function fieldError(error: unknown, field: string): string | undefined {
  return error instanceof ApiError && error.field === field ? error.message : undefined;
}

/** True when the error belongs next to one of `fields` rather than in a general alert. */
export function isFieldError(error: unknown, fields: readonly string[]): boolean {
  return error instanceof ApiError && error.field !== undefined && fields.includes(error.field);
}
