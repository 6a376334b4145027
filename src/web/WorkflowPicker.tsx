// The "Workflow" select of the toolbars on Dashboard, Settings and People.

export function WorkflowPicker({ names, value, onChange }: { names: readonly string[]; value: string; onChange: (name: string) => void }) {
  return (
    <label>
      Workflow{' '}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {names.map((n) => (
          <option key={n} value={n}>{n}</option>
        ))}
      </select>
    </label>
  );
}
