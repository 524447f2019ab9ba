// The roles a user can hold, as a group of checkboxes with their descriptions.
import { useId } from 'react';
import type { RoleInfo } from '../api';
import { roleLabel } from '../format';

interface RoleCheckboxesProps {
  roles: RoleInfo[];
  selected: string[];
  onChange: (selected: string[]) => void;
  error?: string | undefined;
  legend?: string;
}

export function RoleCheckboxes({ roles, selected, onChange, error, legend = 'Roles' }: RoleCheckboxesProps) {
  const id = useId();
  const errorId = `${id}-error`;
  function toggle(role: string, on: boolean) {
    onChange(on ? [...selected, role] : selected.filter((name) => name !== role));
  }
  return (
    <fieldset className={`fieldset${error ? ' field-invalid' : ''}`} aria-describedby={error ? errorId : undefined}>
      <legend>{legend}</legend>
      {roles.length === 0 && <p className="field-hint">Loading roles…</p>}
      <div className="checkbox-grid">
        {roles.map((role) => (
          <div className="checkbox" key={role.name}>
            <input
              type="checkbox"
              id={`${id}-${role.name}`}
              name="roles"
              value={role.name}
              checked={selected.includes(role.name)}
              onChange={(event) => toggle(role.name, event.target.checked)}
              aria-describedby={role.description ? `${id}-${role.name}-description` : undefined}
            />
            <label htmlFor={`${id}-${role.name}`}>
              {roleLabel(role.name)} <code className="role-code">{role.name}</code>
            </label>
            {role.description && (
              <span className="field-hint" id={`${id}-${role.name}-description`}>
                {role.description}
              </span>
            )}
          </div>
        ))}
      </div>
      {error && (
        <span className="field-error" id={errorId} role="alert">
          {error}
        </span>
      )}
    </fieldset>
  );
}
