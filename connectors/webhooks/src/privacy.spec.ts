import { redactPayload } from './privacy';

describe('webhook delivery redaction', () => {
  it('nulls the personal fields of objects about the erased guest, keeps the rest byte for byte', () => {
    const body = {
      type: 'checkout.committed',
      timestamp: '2025-06-01T12:00:00Z',
      data: { checkoutId: 'c-1', guestId: 'g-1', totalMinor: 1500, guest: { guestId: 'g-1', phone: '+79161234567', email: 'a@example.com', name: 'Anna' } },
    };
    expect(JSON.parse(redactPayload(JSON.stringify(body), 'g-1'))).toEqual({
      ...body,
      data: { checkoutId: 'c-1', guestId: 'g-1', totalMinor: 1500, guest: { guestId: 'g-1', phone: null, email: null, name: null } },
    });
    const registered = JSON.stringify({
      type: 'guest.registered',
      timestamp: 't',
      data: { guestId: 'g-1', phone: '+79161234567', name: 'Anna', source: 'form' },
    });
    expect(JSON.parse(redactPayload(registered, 'g-1')).data).toEqual({ guestId: 'g-1', phone: null, name: null, source: 'form' });
    const other = JSON.stringify({ type: 'guest.registered', timestamp: 't', data: { guestId: 'g-2', phone: '+79160000000', name: 'Boris', source: 'pos' } });
    expect(redactPayload(other, 'g-1')).toBe(other);
    expect(redactPayload('not json', 'g-1')).toBe('not json');
    // Another guest nested in an event about the erased one keeps their data.
    const nested = JSON.stringify({ type: 'x', timestamp: 't', data: { guestId: 'g-1', name: 'Anna', referrer: { guestId: 'g-2', name: 'Boris' } } });
    expect(JSON.parse(redactPayload(nested, 'g-1')).data).toEqual({ guestId: 'g-1', name: null, referrer: { guestId: 'g-2', name: 'Boris' } });
  });
});
