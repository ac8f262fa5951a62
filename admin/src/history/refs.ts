import { useEffect, useState } from 'react';
import { http } from '../app/api';
import type { Card, Guest } from '../app/types';

export interface SaleRef {
  cardNumber?: string;
  programName?: string;
  guestName?: string | null;
  guestPhone?: string | null;
  guestErased?: boolean;
}

type GuestWithCards = { guest: Guest; cards: Card[] };

// Guests and cards named in a page of sales; kept for the session (a name does not change often).
const guests = new Map<string, Promise<GuestWithCards | null>>();
const cards = new Map<string, Promise<Card | null>>();

const guestOf = (id: string) => {
  let p = guests.get(id);
  if (!p) {
    p = http.get<GuestWithCards>(`/v1/admin/guests/${id}`).catch(() => null);
    guests.set(id, p);
  }
  return p;
};
const cardOf = (id: string) => {
  let p = cards.get(id);
  if (!p) {
    p = http.get<Card>(`/v1/admin/cards/${id}`).catch(() => null);
    cards.set(id, p);
  }
  return p;
};

/** Forgets what is known of a guest (after a change on their page). */
export function forgetGuest(id: string): void {
  guests.delete(id);
}

/**
 * Card numbers and guest names for sales, which carry only ids: one request per guest (it names
 * their cards too) and one per guest-less card. A hub view with the names would save these.
 */
export function useSaleRefs(rows: { cardId: string | null; guestId: string | null }[] | undefined): Map<string, SaleRef> {
  const [refs, setRefs] = useState(new Map<string, SaleRef>());
  const key = (rows ?? []).map((r) => `${r.cardId}:${r.guestId}`).join(',');
  useEffect(() => {
    let live = true;
    const list = rows ?? [];
    void Promise.all(
      list.map(async (r) => {
        const k = `${r.cardId}:${r.guestId}`;
        if (r.guestId) {
          const g = await guestOf(r.guestId);
          const c = g?.cards.find((x) => x.id === r.cardId);
          return [
            k,
            {
              cardNumber: c?.number,
              programName: c?.programName,
              guestName: g?.guest.name,
              guestPhone: g?.guest.phone,
              guestErased: g?.guest.status === 'erased',
            },
          ] as const;
        }
        if (r.cardId) {
          const c = await cardOf(r.cardId);
          return [k, { cardNumber: c?.number, programName: c?.programName }] as const;
        }
        return [k, {}] as const;
      }),
    ).then((entries) => {
      if (live) setRefs(new Map(entries));
    });
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return refs;
}
