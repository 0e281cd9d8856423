/**
 * The public API as jsii would see it: `lib/index.ts` exports only classes, interfaces and enums; no member of
 * them uses a union (other than optional), an intersection, a literal type, a generic other than arrays and
 * `Record<string, T>`, a function type, or an overload. So Python, Java, .NET and Go packages can follow.
 */
import { readdirSync } from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import * as api from '../../lib';

const ROOT = path.join(__dirname, '..', '..');
const INDEX = path.join(ROOT, 'lib', 'index.ts');

/** Every source of lib/ and contract/, without resolving aws-cdk-lib (its types are not ours to check, and loading them is slow). */
function sources(): string[] {
  return ['lib', 'contract'].flatMap((dir) =>
    readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.join(ROOT, dir, f)),
  );
}

function publicApiProblems(): string[] {
  const program = ts.createProgram(sources(), {
    strict: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    noResolve: true,
    lib: ['lib.es2022.d.ts'],
    types: [],
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(INDEX)!)!;
  const problems: string[] = [];

  const checkType = (type: ts.Type, where: string): void => {
    if (type.isUnion()) {
      const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
      if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) return;
      if (parts.every((t) => t.flags & ts.TypeFlags.EnumLiteral)) return;
      if (parts.length === 1) {
        checkType(parts[0], where);
        return;
      }
      problems.push(`${where}: union type ${checker.typeToString(type)}`);
      return;
    }
    if (type.isIntersection()) problems.push(`${where}: intersection type ${checker.typeToString(type)}`);
    else if (type.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral))
      problems.push(`${where}: literal type ${checker.typeToString(type)}`);
    else if (type.flags & ts.TypeFlags.TypeParameter) problems.push(`${where}: generic ${checker.typeToString(type)}`);
    else if (checker.isArrayType(type)) checkType(checker.getTypeArguments(type as ts.TypeReference)[0], where);
    else if (type.aliasSymbol?.name === 'Record') {
      const [key, value] = type.aliasTypeArguments ?? [];
      if (!(key.flags & ts.TypeFlags.String)) problems.push(`${where}: a map keyed by ${checker.typeToString(key)}`);
      checkType(value, where);
    } else if ((type as ts.TypeReference).typeArguments?.length) problems.push(`${where}: generic ${checker.typeToString(type)}`);
    else if (type.getCallSignatures().length > 0) problems.push(`${where}: function type ${checker.typeToString(type)}`);
  };

  const checkSignature = (decl: ts.SignatureDeclaration, where: string) => {
    if (decl.typeParameters?.length) problems.push(`${where}: type parameters`);
    const signature = checker.getSignatureFromDeclaration(decl)!;
    for (const param of signature.getParameters()) checkType(checker.getTypeOfSymbolAtLocation(param, decl), `${where}(${param.name})`);
    if (!ts.isConstructorDeclaration(decl)) checkType(signature.getReturnType(), `${where} returns`);
  };

  const checkMembers = (owner: string, members: readonly ts.Node[]) => {
    const seen = new Map<string, number>();
    for (const member of members) {
      const modifiers = ts.canHaveModifiers(member) ? (ts.getModifiers(member) ?? []) : [];
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)) continue;
      const name = (member as ts.NamedDeclaration).name?.getText() ?? 'constructor';
      if (name.startsWith('_') || ((member as ts.NamedDeclaration).name && ts.isPrivateIdentifier((member as ts.NamedDeclaration).name!))) continue;
      const where = `${owner}.${name}`;
      if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member) || ts.isConstructorDeclaration(member)) {
        if (
          ts.isConstructorDeclaration(member) &&
          modifiers.some((m) => m.kind === ts.SyntaxKind.ProtectedKeyword || m.kind === ts.SyntaxKind.PrivateKeyword)
        )
          continue;
        seen.set(name, (seen.get(name) ?? 0) + 1);
        checkSignature(member, where);
      } else if (ts.isPropertyDeclaration(member) || ts.isPropertySignature(member) || ts.isGetAccessorDeclaration(member)) {
        checkType(checker.getTypeAtLocation(member), where);
      }
    }
    for (const [name, count] of seen) if (count > 1) problems.push(`${owner}.${name}: ${count} overloads`);
  };

  for (let symbol of checker.getExportsOfModule(moduleSymbol)) {
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const name = symbol.getName();
    if (!(symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface | ts.SymbolFlags.Enum))) {
      problems.push(`${name}: exported ${ts.SymbolFlags[symbol.flags] ?? symbol.flags}; jsii exports classes, interfaces and enums only`);
      continue;
    }
    for (const decl of symbol.declarations ?? []) {
      if ((ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) && decl.typeParameters?.length) problems.push(`${name}: type parameters`);
      if (ts.isClassDeclaration(decl) || ts.isInterfaceDeclaration(decl)) checkMembers(name, decl.members);
    }
  }
  return problems;
}

describe('public API (lib/index.ts)', () => {
  test('is jsii-clean: classes, interfaces and enums, without unions, intersections, literals, generics or overloads', () => {
    expect(publicApiProblems()).toEqual([]);
  }, 60_000);

  test('exports the constructs and their types, and no helper, stack or stage', () => {
    const exported = Object.keys(api);
    expect(exported).toEqual(
      expect.arrayContaining([
        'BedrockChatFunction',
        'ChatBackend',
        'ChatAuth',
        'ChatAuthMode',
        'CognitoTokenUse',
        'BedrockModel',
        'BedrockAgentAlias',
        'RateLimitTable',
        'ChatHistoryTable',
        'KnowledgeBase',
        'KnowledgeBaseChunking',
        'CognitoGuestPool',
      ]),
    );
    for (const helper of [
      'bundleCode',
      'bundleDirectory',
      'modelAccessStatements',
      'GEOGRAPHY_REGIONS',
      'ManagedPolicyRole',
      'StreamingChatStack',
      'JwtChatStack',
      'GuestRagChatStack',
      'ChatStage',
      'addChatStages',
      'parseStageConfigs',
      'sharedChatResources',
      'CLAIM_NAME',
      'BEDROCK_RESOURCE_ID',
      // the Bedrock NagPack is its own entry point (`bedrock-chat-constructs/nag`): only apps using it need cdk-nag
      'BedrockChatChecks',
    ]) {
      expect(exported).not.toContain(helper);
    }
  });
});

describe('the nag entry point (bedrock-chat-constructs/nag)', () => {
  test('package.json maps it to the Bedrock NagPack, with cdk-nag an optional peer dependency', () => {
    const pkg = require('../../package.json') as {
      exports: Record<string, { default: string }>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    expect(pkg.exports['./nag']?.default).toBe('./dist/lib/nag/bedrock-checks.js');
    expect(pkg.peerDependenciesMeta['cdk-nag']).toEqual({ optional: true });
    expect(Object.keys(require('../../lib/nag/bedrock-checks'))).toContain('BedrockChatChecks');
  });
});
