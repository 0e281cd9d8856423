/**
 * Gates over the synthesized templates of every stage, from one synthesis of the app (without cdk-nag, which
 * test/app/security-checks.test.ts runs): the AWS Control Tower proactive controls (cfn-guard), and every IAM role's
 * policies judged against AWS's service authorization data and simulated (iam-simulate).
 */
import { App } from 'aws-cdk-lib';
import { type ControlTowerFailure, controlTowerFailures } from '../../tools/security/control-tower';
import { buildProjectApp, projectContext } from '../support/cdk-app';
import { CONTROL_TOWER_EXCEPTIONS, exceptionsFor } from '../support/control-tower-exceptions';
import { type Expectation, expectationsFor } from '../support/iam-expectations';
import { IAM_POLICY_EXCEPTIONS, policyExceptionsFor } from '../support/iam-policy-exceptions';
import {
  decide,
  type PolicyFinding,
  policyFindings,
  resourcePolicies,
  rolesOf,
  SIMULATED_ACCOUNT,
  type SimulatedRole,
  stackTemplates,
} from '../support/iam-simulation';

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

describe('IAM: every role of every stage, judged against the service authorization data and simulated', () => {
  const stages = Object.keys(projectContext.stages as object);
  const regionOf = (stage: string) => (projectContext.stages as Record<string, { region: string }>)[stage].region;
  let roles: SimulatedRole[];
  let findings: PolicyFinding[];
  let unexplained: SimulatedRole[];
  let outcomes: { expectation: Expectation; decision: string }[];
  beforeAll(async () => {
    const stacks = stackTemplates(app);
    const policies = resourcePolicies(stacks);
    roles = [];
    unexplained = [];
    const expectations: Expectation[] = [];
    for (const stack of stacks) {
      const here = rolesOf(stack);
      roles.push(...here);
      const derived = expectationsFor(stack, here);
      expectations.push(...derived.expectations);
      unexplained.push(...derived.unexplained);
    }
    findings = (await Promise.all(roles.map(policyFindings))).flat();
    outcomes = await Promise.all(
      expectations.map(async (expectation) => ({
        expectation,
        decision: await decide(expectation.role, expectation.call, policies, regionOf(expectation.role.stage)),
      })),
    );
  }, 120_000);

  const show = ({ expectation: { role, call, why, allowed }, decision }: { expectation: Expectation; decision: string }) => ({
    role: `${role.stage}/${role.stack}/${role.logicalId}`,
    call: `${call.principal ?? 'role'} ${call.action} ${call.resource}${call.context ? ` ${JSON.stringify(call.context)}` : ''}`,
    expected: allowed ? 'Allowed' : 'denied',
    decision,
    why,
  });

  test('every role is simulated, and each stage has the roles its backends need', () => {
    expect(unexplained.map((r) => `${r.stage}/${r.stack}/${r.logicalId}`)).toEqual([]);
    for (const stage of stages) expect(roles.filter((r) => r.stage === stage).length).toBeGreaterThan(0);
  });

  test('every action is a known action and every resource a resource type it supports (or a reviewed exception)', () => {
    const unreviewed = findings.filter((f) => policyExceptionsFor(f, regionOf(f.stage), SIMULATED_ACCOUNT).length !== 1);
    expect(unreviewed).toEqual([]);
  });

  test('every policy exception still matches a finding in each stage it names, with a specific reason', () => {
    for (const exception of IAM_POLICY_EXCEPTIONS) {
      expect(exception.reason.length).toBeGreaterThan(80);
      for (const stage of exception.stages) {
        const matched = findings.filter((f) => f.stage === stage && policyExceptionsFor(f, regionOf(stage), SIMULATED_ACCOUNT).includes(exception));
        expect({ exception: [exception.role, exception.action, exception.resource, stage], matched: matched.length }).toEqual({
          exception: [exception.role, exception.action, exception.resource, stage],
          matched: 1,
        });
      }
    }
  });

  test('the calls each role needs, derived from its contract, are allowed on exact ARNs', () => {
    const wrong = outcomes.filter((o) => o.expectation.allowed && o.decision !== 'Allowed');
    expect(wrong.map(show)).toEqual([]);
  });

  test('representative calls outside its job are denied, and the conditions hold', () => {
    const wrong = outcomes.filter((o) => !o.expectation.allowed && o.decision !== 'ImplicitlyDenied' && o.decision !== 'ExplicitlyDenied');
    expect(wrong.map(show)).toEqual([]);
  });

  test('every role has calls checked both ways', () => {
    for (const role of roles) {
      const mine = outcomes.filter((o) => o.expectation.role === role);
      expect({ role: `${role.stage}/${role.stack}/${role.logicalId}`, denied: mine.some((o) => !o.expectation.allowed) }).toEqual({
        role: `${role.stage}/${role.stack}/${role.logicalId}`,
        denied: true,
      });
      expect(mine.some((o) => o.expectation.allowed)).toBe(true);
    }
  });
});
