import nock from 'nock';
import supertest from 'supertest';
import { Router } from 'express';
import { z } from 'zod';
import { CommandError, type CommandType } from './contracts/commands';
import { CONTRACT_VERSION } from './contracts/envelope';
import { defineConnector } from './connector';
import { runConnector } from './testkit';

/** A connector whose inbound route forwards any command to the hub, to test the memory hub's command side. */
const relay = defineConnector({
  manifest: { id: 'relay-test', name: 'Relay', category: 'crm', version: '1.0.0', contractVersion: CONTRACT_VERSION, consumes: [], description: 'Test.' },
  configSchema: z.object({}),
  handlers: {},
  inbound: (inbound) =>
    Router().post('/:b/cmd', async (req, res) => {
      const ctx = (await inbound.forBusiness(String(req.params.b)))!;
      try {
        res.json({ reply: await ctx.hub.request(req.body.type as CommandType, req.body.data as never) });
      } catch (e) {
        const err = e as CommandError;
        res.status(200).json({ error: { isCommandError: e instanceof CommandError, code: err.code, status: err.status, details: err.details ?? null } });
      }
    }),
});

describe('testkit: the memory hub refuses what the real hub refuses', () => {
  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
  });

  const send = async (run: Awaited<ReturnType<typeof runConnector>>, type: string, data: unknown) =>
    (await supertest(run.app).post(`/connectors/relay-test/${run.businessId}/cmd`).send({ type, data })).body;

  it('refuses a command type the contract does not know, both when stubbing and when sending', async () => {
    const run = await runConnector(relay, { config: {} });
    expect(() => run.commands.on('card.find' as never, () => null as never)).toThrow(/Unknown command card\.find/);
    expect(await send(run, 'card.find', { number: '123456' })).toEqual({ error: { isCommandError: true, code: 'unknown_command', status: 400, details: null } });
  });

  it('refuses a request that fails the contract, naming the field, before any stub runs', async () => {
    const run = await runConnector(relay, { config: {} });
    let called = 0;
    run.commands.on('guest.upsert', () => (called++, { guest: null as never, created: false, cardId: null }));
    const r = await send(run, 'guest.upsert', { phone: '', name: 'Anna' });
    expect(r.error).toMatchObject({ code: 'validation_failed', status: 400, details: { errors: [expect.objectContaining({ field: 'phone' })] } });
    expect(called).toBe(0);
  });

  it('answers 503 no_command_server for a known command without a stub, and the stub reply otherwise', async () => {
    const run = await runConnector(relay, { config: {} });
    expect((await send(run, 'checkout.get', { checkoutId: 'co-1' })).error).toMatchObject({ code: 'no_command_server', status: 503 });
    run.commands.on('checkout.get', () => {
      throw new CommandError('checkout_not_found', 'Checkout not found', 404);
    });
    expect((await send(run, 'checkout.get', { checkoutId: 'co-1' })).error).toMatchObject({ code: 'checkout_not_found', status: 404 });
    expect(run.commands.calls.map((c) => c.type)).toEqual(['checkout.get', 'checkout.get']);
  });
});
