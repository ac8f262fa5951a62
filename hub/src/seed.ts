import fs from 'node:fs';
import path from 'node:path';
import type { Hub } from './hub';
import { Business } from './modules/tenants/tenants.entity';
import { randomPassword } from './shared/crypto';
import { systemActor } from './shared/context';

export interface DemoInfo {
  businessId: string;
  locationId: string;
  terminalId: string;
  terminalKey: string;
  ownerEmail: string;
  ownerPassword: string;
  adminUrl: string;
  apiDocsUrl: string;
  curl: string;
  [k: string]: unknown;
}

/**
 * On an empty database: a demo café with an owner, a location and a terminal key.
 * Returns undefined when the database already has a business (a second start reuses the data).
 */
export async function seedDemo(hub: Hub, publicUrl: string): Promise<DemoInfo | undefined> {
  const count = await hub.db.manager.getRepository(Business).count();
  if (count > 0) return undefined;
  const ownerPassword = randomPassword();
  const ownerEmail = 'owner@demo.local';
  const { business } = await hub.services.tenants.createBusiness(
    { name: 'Demo Café', currency: 'RUB', timezone: 'Europe/Moscow', locale: 'ru', owner: { email: ownerEmail, name: 'Demo Owner', password: ownerPassword } },
    systemActor('seed'),
  );
  const ctx = { businessId: business.id, actor: systemActor('seed') };
  const location = await hub.services.tenants.createLocation(ctx, {
    name: 'Demo Café on Tverskaya',
    address: 'Tverskaya St 1, Moscow',
    latitude: 55.757,
    longitude: 37.6137,
  });
  const { terminal, key } = await hub.services.tenants.createTerminal(ctx, {
    name: 'Till 1',
    locationId: location.id,
    scopes: ['pos', 'pos:refund', 'scanner'],
  });
  const info: DemoInfo = {
    businessId: business.id,
    locationId: location.id,
    terminalId: terminal.id,
    terminalKey: key,
    ownerEmail,
    ownerPassword,
    adminUrl: `${publicUrl}/admin`,
    apiDocsUrl: `${publicUrl}/v1/docs`,
    curl: `curl -s -H 'Authorization: Bearer ${key}' ${publicUrl}/v1/pos/terminal`,
  };
  return info;
}

export function writeDemoFile(dataDir: string, info: DemoInfo): string {
  const file = path.join(dataDir, 'demo.json');
  fs.writeFileSync(file, JSON.stringify(info, null, 2) + '\n', { mode: 0o600 });
  return file;
}
