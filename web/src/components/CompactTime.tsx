// A time for dense tables: date and time of day on lines of their own when space is short,
// the long form in the tooltip, the exact instant in `dateTime`.
import { formatTime, formatTimeCompact } from '../format';

export function CompactTime({ value }: { value: string }) {
  const [date, clock] = formatTimeCompact(value);
  return (
    <time dateTime={value} title={formatTime(value)}>
      <span className="nowrap">{date}</span> <span className="nowrap">{clock}</span>
    </time>
  );
}
