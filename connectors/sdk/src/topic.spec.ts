import { topicMatches } from './topic';

describe('topicMatches (RabbitMQ topic semantics)', () => {
  it.each([
    ['checkout.committed', 'checkout.committed', true],
    ['checkout.*', 'checkout.committed', true],
    ['checkout.*', 'checkout.committed.extra', false],
    ['#', 'anything.at.all', true],
    ['checkout.#', 'checkout', true],
    ['*.committed', 'checkout.committed', true],
    ['card.*', 'checkout.committed', false],
    ['#.changed', 'card.balance.changed', true],
  ])('%s ~ %s -> %s', (p, k, expected) => expect(topicMatches(p, k)).toBe(expected));
});
