import { likeAnywhere, maskPhone, redactValue } from './privacy';

describe('privacy helpers', () => {
  const g = { guestId: 'g-1', phone: '+79161234567', name: 'Anna Petrova', email: 'anna@example.com' };

  it('redacts the guest’s values anywhere, and personal fields of objects about the guest', () => {
    const row = {
      guestId: 'g-1',
      phone: '+79161234567',
      name: 'Anna Petrova',
      birthday: '1990-01-01',
      note: 'Anna Petrova',
      other: { guestId: 'g-2', name: 'Boris', phone: '+79160000000' },
      list: ['anna@example.com', 'keep'],
      guest: { guestId: 'g-1', email: 'old@example.com', name: null },
    };
    expect(redactValue(row, g, false)).toEqual({
      guestId: 'g-1',
      phone: '[erased]',
      name: '[erased]',
      birthday: '[erased]',
      note: '[erased]',
      other: { guestId: 'g-2', name: 'Boris', phone: '+79160000000' },
      list: ['[erased]', 'keep'],
      guest: { guestId: 'g-1', email: '[erased]', name: null },
    });
    expect(redactValue({ phone: '+79160000000', name: 'Boris' }, g, true, null)).toEqual({ phone: null, name: null });
    expect(redactValue({ phone: '+79160000000', name: 'Boris' }, g, false)).toEqual({ phone: '+79160000000', name: 'Boris' });
    expect(redactValue({ phone: '+79*****4567' }, g, false, '[erased]', [maskPhone(g.phone)])).toEqual({ phone: '[erased]' });
  });

  it('escapes LIKE wildcards and masks phones', () => {
    expect(likeAnywhere('a_b%c!d')).toBe('%a!_b!%c!!d%');
    expect(maskPhone('+79161234567')).toBe('+79*****4567');
  });
});
