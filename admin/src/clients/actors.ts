import { actorKindKey } from '../app/actor';
import { http } from '../app/api';
import { useI18n } from '../app/i18n';
import { useMe } from '../app/session';
import { useLoad } from '../app/useLoad';
import { allows, ROLE_SETS } from '../app/roles';
import { labelOf } from '../app/domain';
import type { Items, Staff, Terminal } from '../app/types';

/** Who did it: a staff member's or a terminal's name when the role may list them, else the kind of actor. */
export function useActorLabel(): (type: string, id: string) => string {
  const { t } = useI18n();
  const { staff } = useMe();
  const admin = allows(ROLE_SETS.admins, staff.role);
  const { data } = useLoad(
    async (signal) => {
      if (!admin) return new Map<string, string>();
      const [s, term] = await Promise.all([
        http.get<Items<Staff>>('/v1/admin/staff', { signal }),
        http.get<Items<Terminal>>('/v1/admin/terminals', { signal }),
      ]);
      return new Map<string, string>([...s.items.map((x) => [x.id, x.name] as const), ...term.items.map((x) => [x.id, x.name] as const)]);
    },
    [admin],
  );
  return (type, id) => {
    if (type === 'guest' && id === 'anonymous') return t(actorKindKey(type, id)!);
    const name = data?.get(id);
    const kind = labelOf('audit.actorType', type, t);
    return name ? `${name} (${kind})` : id === staff.id ? `${staff.name} (${kind})` : kind;
  };
}
