/**
 * Gates over the synthesized templates of every stage, from one synthesis of the app (without cdk-nag, which
 * test/app/security-checks.test.ts runs): the AWS Control Tower proactive controls (cfn-guard).
 */
import { App } from 'aws-cdk-lib';
import { type ControlTowerFailure, controlTowerFailures } from '../../tools/security/control-tower';
import { buildProjectApp, projectContext } from '../support/cdk-app';
import { CONTROL_TOWER_EXCEPTIONS, exceptionsFor } from '../support/control-tower-exceptions';

let app: App;
beforeAll(() => {
  app = buildProjectApp({ securityChecks: false }).app;
  app.synth();
}, 300_000);

describe('AWS Control Tower proactive controls (cfn-guard, control-tower rules) over every stage', () => {
  let failures: ControlTowerFailure[];
  beforeAll(() => {
    failures = controlTowerFailures(app, app.outdir);
  }, 300_000);

  test('every failure is one reviewed exception (test/support/control-tower-exceptions.ts, listed in the README)', () => {
    const unreviewed = failures.filter((f) => exceptionsFor(f).length !== 1);
    expect(unreviewed).toEqual([]);
  });

  test('every exception still matches a real failure in each stage it names', () => {
    const stages = Object.keys(projectContext.stages as object);
    for (const exception of CONTROL_TOWER_EXCEPTIONS) {
      expect(exception.stages.every((s) => stages.includes(s))).toBe(true);
      for (const stage of exception.stages) {
        const matched = failures.filter((f) => f.stage === stage && f.control === exception.control && f.path === exception.path);
        expect({ exception: [exception.control, exception.path, stage], matched: matched.length }).toEqual({
          exception: [exception.control, exception.path, stage],
          matched: 1,
        });
      }
    }
  });

  test('each exception gives a specific reason', () => {
    for (const exception of CONTROL_TOWER_EXCEPTIONS) expect(exception.reason.length).toBeGreaterThan(80);
  });

  test('the controls ran: the rules found the templates and know the failures they report', () => {
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.control).toMatch(/^CT\.[A-Z0-9]+\.PR\.\d+$/);
  });
});
