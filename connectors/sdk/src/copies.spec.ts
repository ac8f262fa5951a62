import { CommandError } from './contracts/commands';
import { ConnectorProblem } from './errors';

/** Another copy of the SDK, as a connector package with its own node_modules loads it. */
function otherCopy(): { CommandError: typeof CommandError; ConnectorProblem: typeof ConnectorProblem } {
  let copy: { CommandError: typeof CommandError; ConnectorProblem: typeof ConnectorProblem } | undefined;
  jest.isolateModules(() => {
    // A fresh module registry: exactly what a second copy of the package gives.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    copy = { CommandError: require('./contracts/commands').CommandError, ConnectorProblem: require('./errors').ConnectorProblem };
  });
  return copy!;
}

describe('SDK errors across copies of the SDK', () => {
  const copy = otherCopy();

  it('are a distinct class in the other copy (the situation under test)', () => {
    expect(copy.CommandError).not.toBe(CommandError);
  });

  it('are recognised by instanceof from either copy', () => {
    expect(new copy.CommandError('card_not_found', 'No such card', 404) instanceof CommandError).toBe(true);
    expect(new CommandError('card_not_found', 'No such card', 404) instanceof copy.CommandError).toBe(true);
    expect(new copy.ConnectorProblem(401, 'bad_signature', 'Bad signature') instanceof ConnectorProblem).toBe(true);
  });

  it('are not confused with other errors or with each other, and subclasses stay exact', () => {
    expect(new Error('x') instanceof CommandError).toBe(false);
    expect({ code: 'x' } instanceof ConnectorProblem).toBe(false);
    expect(new copy.ConnectorProblem(401, 'x', 'y') instanceof CommandError).toBe(false);
    class Narrow extends CommandError {}
    expect(new CommandError('x', 'y') instanceof Narrow).toBe(false);
    expect(new Narrow('x', 'y') instanceof CommandError).toBe(true);
  });
});
