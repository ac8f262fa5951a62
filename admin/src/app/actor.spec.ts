import { actorKindKey } from './actor';
import { en, ru } from './messages';

describe('who did it', () => {
  it('calls a failed sign-in anonymous, not a guest, in both languages', () => {
    expect(ru[actorKindKey('guest', 'anonymous')!]).toBe('аноним (без входа)');
    expect(en[actorKindKey('guest', 'anonymous')!]).toBe('anonymous (not signed in)');
    expect(ru[actorKindKey('guest', '0193a1b2-guest')!]).toBe('гость');
    expect(ru[actorKindKey('staff', 'x')!]).toBe('сотрудник');
    expect(actorKindKey('connector', 'x')).toBeUndefined();
  });
});
