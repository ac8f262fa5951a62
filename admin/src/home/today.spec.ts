import { dayKey, lastDays } from './today';

describe('home figures by day', () => {
  it('keys an instant by the business’s own calendar day', () => {
    const late = new Date('2026-03-01T22:30:00Z');
    expect(dayKey(late, 'Europe/Moscow')).toBe('2026-03-02');
    expect(dayKey(late, 'America/New_York')).toBe('2026-03-01');
  });

  it('lists the last days oldest first, ending today', () => {
    expect(lastDays(3, 'Europe/Moscow', new Date('2026-03-01T22:30:00Z'))).toEqual(['2026-02-28', '2026-03-01', '2026-03-02']);
  });
});
