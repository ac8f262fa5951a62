import type { FormInstance } from 'antd';
import { ApiError } from './api';
import { applyProblem, problemMessage, toNamePath } from './problems';
import { en } from './messages';
import type { MessageKey } from './messages';

const t = (key: MessageKey, vars?: Record<string, string | number>) => en[key].replace(/\{(\w+)\}/g, (_m, n: string) => String(vars?.[n] ?? ''));

/** The two FormInstance methods applyProblem uses, over a fixed set of registered fields. */
function fakeForm(fields: (string | number)[][]) {
  const set: { name: (string | number)[]; errors: string[] }[] = [];
  const form = {
    getFieldsError: () => fields.map((name) => ({ name, errors: [], warnings: [] })),
    setFields: (f: typeof set) => set.push(...f),
  } as unknown as FormInstance;
  return { form, set };
}

describe('problems on forms', () => {
  it('turns problem+json field paths into antd name paths', () => {
    expect(toNamePath('settings.fraudLimits.opsPerCardPerHour')).toEqual(['settings', 'fraudLimits', 'opsPerCardPerHour']);
    expect(toNamePath('items[2].name')).toEqual(['items', 2, 'name']);
  });

  it('puts field errors under their fields and reports nothing else when all found a field', () => {
    const { form, set } = fakeForm([['name'], ['settings', 'holdTtlMinutes']]);
    const e = new ApiError(400, 'validation_failed', 'invalid', [
      { field: 'name', message: 'Too small' },
      { field: 'settings.holdTtlMinutes', message: 'Too big' },
    ]);
    expect(applyProblem(form, e, t)).toBeUndefined();
    expect(set).toEqual([
      { name: ['name'], errors: ['Too small'] },
      { name: ['settings', 'holdTtlMinutes'], errors: ['Too big'] },
    ]);
  });

  it('keeps errors of fields the form does not have in the form-level message', () => {
    const { form, set } = fakeForm([['name']]);
    const msg = applyProblem(form, new ApiError(400, 'validation_failed', 'invalid', [{ field: 'latitude', message: 'Too big' }]), t);
    expect(set).toEqual([]);
    expect(msg).toBe('Check the highlighted fields. latitude: Too big');
  });

  it('places a taken e-mail (409 without field errors) on the e-mail field', () => {
    const { form, set } = fakeForm([['email'], ['name']]);
    expect(applyProblem(form, new ApiError(409, 'email_taken', 'A staff login with this e-mail already exists'), t)).toBeUndefined();
    expect(set).toEqual([{ name: ['email'], errors: ['A staff login with this e-mail already exists.'] }]);
  });

  it('words known codes itself and falls back to the hub’s detail', () => {
    expect(problemMessage(new ApiError(0, 'network_error', 'x'), t)).toBe(en['error.network']);
    expect(problemMessage(new ApiError(403, 'missing_scope', 'x'), t)).toBe(en['error.forbidden']);
    expect(problemMessage(new ApiError(500, 'internal_error', 'x', [], 'req-1'), t)).toContain('req-1');
    expect(problemMessage(new ApiError(422, 'coupon_used', 'The coupon was already used'), t)).toBe('The coupon was already used');
  });
});
