import { createHash } from 'node:crypto';
import { Arn, ArnFormat, Token } from 'aws-cdk-lib';
import * as bedrock from 'aws-cdk-lib/aws-bedrock';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct, IConstruct } from 'constructs';
import { GROUNDING_LIMITS } from '../../contract/guardrails';
import { GUARDRAIL_VERSION } from '../../contract/patterns';
import { APPLY_GUARDRAIL } from '../private/bedrock-statements';
import { Validator } from '../private/validation';

/**
 * A Bedrock guardrail a chat function sends with every model call. `@aws-cdk/aws-bedrock-alpha`'s `Guardrail` and
 * `IGuardrail` have this shape, so they can be given as they are (their own grant methods are never called: the
 * function grants exactly `bedrock:ApplyGuardrail` on the ARN, and decrypt with the key).
 */
export interface IChatGuardrail extends IConstruct {
  /**
   * The guardrail's id.
   * @attribute
   */
  readonly guardrailId: string;
  /**
   * The guardrail's ARN (without a version).
   * @attribute
   */
  readonly guardrailArn: string;
  /**
   * The version every call names: a number, or `DRAFT`.
   * @attribute
   */
  readonly guardrailVersion: string;
  /** The customer-managed key the guardrail is encrypted with, if any. */
  readonly kmsKey?: kms.IKey;
}

/** How strongly a filter blocks. */
export enum GuardrailFilterStrength {
  NONE = 'NONE',
  LOW = 'LOW',
  MEDIUM = 'MEDIUM',
  HIGH = 'HIGH',
}

/** The content categories a guardrail filters. */
export enum GuardrailContentFilterType {
  SEXUAL = 'SEXUAL',
  VIOLENCE = 'VIOLENCE',
  HATE = 'HATE',
  INSULTS = 'INSULTS',
  MISCONDUCT = 'MISCONDUCT',
}

/** One content filter. */
export interface GuardrailContentFilter {
  readonly type: GuardrailContentFilterType;
  /**
   * On the user's input.
   * @default GuardrailFilterStrength.HIGH
   */
  readonly inputStrength?: GuardrailFilterStrength;
  /**
   * On the model's output.
   * @default GuardrailFilterStrength.HIGH
   */
  readonly outputStrength?: GuardrailFilterStrength;
}

/** What a guardrail does with a kind of personal information it finds. */
export enum GuardrailPiiAction {
  /** The whole input or answer is blocked. */
  BLOCK = 'BLOCK',
  /** The information is masked (`{EMAIL}`); weak with `async` stream processing, which has sent text already. */
  ANONYMIZE = 'ANONYMIZE',
}

/** A kind of personal information and what to do with it. */
export interface GuardrailPiiEntity {
  /** A Bedrock PII entity type: `EMAIL`, `PHONE`, `NAME`, `ADDRESS`, `CREDIT_DEBIT_CARD_NUMBER`, `US_SOCIAL_SECURITY_NUMBER`, … */
  readonly type: string;
  readonly action: GuardrailPiiAction;
}

/** A topic the chat must not discuss. */
export interface GuardrailDeniedTopic {
  /** 1 to 100 characters. */
  readonly name: string;
  /** What the topic is, 1 to 200 characters. */
  readonly definition: string;
  /**
   * Example inputs of the topic (at most 5).
   * @default - none
   */
  readonly examples?: string[];
}

/**
 * The contextual grounding check of retrieval-augmented answers (`contextualGroundingPolicyConfig`): the guardrail
 * scores how well each answer is grounded in the retrieved passages and how relevant it is to the question, and
 * blocks it below a threshold. It acts only on calls that send a grounding source and a query (the knowledge-base
 * backend sends them as qualified `guardContent` blocks); other calls pass it by.
 */
export interface GuardrailContextualGrounding {
  /**
   * Answers scoring below this for grounding in the passages (0 to 0.99) are blocked: the higher, the more is blocked.
   * @default 0.75
   */
  readonly groundingThreshold?: number;
  /**
   * Answers scoring below this for relevance to the question (0 to 0.99) are blocked.
   * @default 0.75
   */
  readonly relevanceThreshold?: number;
}

/** How a chat function sends its guardrail (`guardrailConfig.streamProcessingMode` of ConverseStream). */
export enum GuardrailStreamProcessingMode {
  /** Each chunk is scanned before it is sent: nothing blocked ever leaves, at the cost of some latency. */
  SYNC = 'sync',
  /**
   * Chunks are sent at once and scanned alongside: no added latency, but text found to violate the policy later has
   * already reached the caller, and PII masking cannot apply to it.
   */
  ASYNC = 'async',
}

export interface ChatGuardrailProps {
  /**
   * The guardrail's name.
   * @default - derived from the construct path
   */
  readonly guardrailName?: string;

  /**
   * @default - none
   */
  readonly description?: string;

  /**
   * Content filters on input and output.
   * @default - all five categories at HIGH on input and output
   */
  readonly contentFilters?: GuardrailContentFilter[];

  /**
   * The prompt-attack filter (jailbreaks and prompt injection) on the user's input; `NONE` turns it off.
   * @default GuardrailFilterStrength.HIGH
   */
  readonly promptAttackStrength?: GuardrailFilterStrength;

  /**
   * Topics the chat refuses to discuss.
   * @default - none
   */
  readonly deniedTopics?: GuardrailDeniedTopic[];

  /**
   * Personal information to block or mask.
   * @default - none
   */
  readonly piiEntities?: GuardrailPiiEntity[];

  /**
   * Words and phrases to block.
   * @default - none
   */
  readonly deniedWords?: string[];

  /**
   * Block profanity (AWS's managed word list).
   * @default true
   */
  readonly blockProfanity?: boolean;

  /**
   * What the caller is answered when the input is blocked (1 to 500 characters).
   * @default "Sorry, I can't help with that request."
   */
  readonly blockedInputMessage?: string;

  /**
   * What replaces an answer that is blocked (1 to 500 characters).
   * @default "Sorry, I can't continue this answer."
   */
  readonly blockedOutputMessage?: string;

  /**
   * A customer-managed key to encrypt the guardrail with; functions using it are granted decrypt.
   * @default - an AWS owned key
   */
  readonly kmsKey?: kms.IKey;

  /**
   * Contextual grounding and relevance checks of answers built from retrieved passages (the knowledge-base backend).
   * A function with this guardrail must stream it in `sync` mode: in `async` mode an ungrounded answer would already
   * have been sent.
   * @default - no contextual grounding check
   */
  readonly contextualGrounding?: GuardrailContextualGrounding;
}

/** An existing guardrail. */
export interface ChatGuardrailAttributes {
  /** Its ARN (`arn:<partition>:bedrock:<region>:<account>:guardrail/<id>`). */
  readonly guardrailArn: string;
  /**
   * The version to call: a number, or `DRAFT` (the working copy: use a number in production).
   * @default 'DRAFT'
   */
  readonly guardrailVersion?: string;
  /**
   * The customer-managed key it is encrypted with.
   * @default - none (an AWS owned key)
   */
  readonly kmsKey?: kms.IKey;
}

/** What created and imported guardrails share: the grant. */
export abstract class ChatGuardrailBase extends Construct implements IChatGuardrail {
  public abstract readonly guardrailId: string;
  public abstract readonly guardrailArn: string;
  public abstract readonly guardrailVersion: string;
  public abstract readonly kmsKey?: kms.IKey;

  /** Lets `grantee` apply this guardrail: exactly `bedrock:ApplyGuardrail` on its ARN, and decrypt with its key. */
  public grantApply(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: [APPLY_GUARDRAIL], resourceArns: [this.guardrailArn] });
    this.kmsKey?.grantDecrypt(grantee);
    return grant;
  }
}

const DEFAULT_BLOCKED_INPUT = "Sorry, I can't help with that request.";
const DEFAULT_BLOCKED_OUTPUT = "Sorry, I can't continue this answer.";
const DEFAULT_GROUNDING_THRESHOLD = 0.75;

/**
 * A Bedrock guardrail for chat functions (`AWS::Bedrock::Guardrail`) and a numbered version of it
 * (`AWS::Bedrock::GuardrailVersion`), which every call names: a changed configuration gets a new version, so a
 * deployed function never calls an untested draft. Secure by default: every content filter and the prompt-attack
 * filter at HIGH, profanity blocked.
 */
export class ChatGuardrail extends ChatGuardrailBase {
  /** An existing guardrail, by ARN (and version). */
  public static fromGuardrailAttributes(scope: Construct, id: string, attrs: ChatGuardrailAttributes): IChatGuardrail {
    return new ImportedChatGuardrail(scope, id, attrs);
  }

  public readonly guardrailId: string;
  public readonly guardrailArn: string;
  public readonly guardrailVersion: string;
  public readonly kmsKey?: kms.IKey;
  /** The grounding and relevance thresholds, when the guardrail checks contextual grounding. */
  public readonly contextualGrounding?: GuardrailContextualGrounding;

  constructor(scope: Construct, id: string, props: ChatGuardrailProps = {}) {
    super(scope, id);
    const v = Validator.of('ChatGuardrail', this);
    const message = (name: string, value: string | undefined) =>
      v.check(
        value,
        (m) => m.trim() !== '' && m.length <= 500,
        (m) => `${name} must be 1 to 500 characters, got ${m.length}`,
      );
    message('blockedInputMessage', props.blockedInputMessage);
    message('blockedOutputMessage', props.blockedOutputMessage);
    for (const topic of props.deniedTopics ?? []) {
      v.check(
        topic.name,
        (n) => /^[0-9a-zA-Z-_ !?.]{1,100}$/.test(n),
        (n) => `deniedTopics name '${n}' must be 1 to 100 of letters, digits, spaces and - _ ! ? .`,
      );
      v.check(
        topic.definition,
        (d) => d.length >= 1 && d.length <= 200,
        (d) => `deniedTopics '${topic.name}' definition must be 1 to 200 characters, got ${d.length}`,
      );
      v.check(
        topic.examples,
        (e) => e.length <= 5,
        (e) => `deniedTopics '${topic.name}' may have at most 5 examples, got ${e.length}`,
      );
    }

    const grounding = props.contextualGrounding && {
      groundingThreshold: props.contextualGrounding.groundingThreshold ?? DEFAULT_GROUNDING_THRESHOLD,
      relevanceThreshold: props.contextualGrounding.relevanceThreshold ?? DEFAULT_GROUNDING_THRESHOLD,
    };
    for (const [name, value] of Object.entries(grounding ?? {})) {
      v.check(
        value,
        (n) => Number.isFinite(n) && n >= 0 && n <= GROUNDING_LIMITS.maxThreshold,
        (n) => `contextualGrounding.${name} must be a number from 0 to ${GROUNDING_LIMITS.maxThreshold} (1 would block every answer), got ${n}`,
      );
    }

    const filters = (props.contentFilters ?? Object.values(GuardrailContentFilterType).map((type): GuardrailContentFilter => ({ type }))).map(
      (filter) => ({
        type: filter.type,
        inputStrength: filter.inputStrength ?? GuardrailFilterStrength.HIGH,
        outputStrength: filter.outputStrength ?? GuardrailFilterStrength.HIGH,
      }),
    );
    const promptAttack = props.promptAttackStrength ?? GuardrailFilterStrength.HIGH;
    if (promptAttack !== GuardrailFilterStrength.NONE) {
      // The prompt-attack filter applies to input only; its output strength must be NONE.
      filters.push({
        type: 'PROMPT_ATTACK' as GuardrailContentFilterType,
        inputStrength: promptAttack,
        outputStrength: GuardrailFilterStrength.NONE,
      });
    }
    const words = props.deniedWords ?? [];
    const config = {
      blockedInputMessaging: props.blockedInputMessage ?? DEFAULT_BLOCKED_INPUT,
      blockedOutputsMessaging: props.blockedOutputMessage ?? DEFAULT_BLOCKED_OUTPUT,
      contentPolicyConfig: filters.length > 0 ? { filtersConfig: filters } : undefined,
      topicPolicyConfig:
        props.deniedTopics && props.deniedTopics.length > 0
          ? { topicsConfig: props.deniedTopics.map((t) => ({ name: t.name, definition: t.definition, examples: t.examples, type: 'DENY' })) }
          : undefined,
      sensitiveInformationPolicyConfig:
        props.piiEntities && props.piiEntities.length > 0
          ? { piiEntitiesConfig: props.piiEntities.map((e) => ({ type: e.type, action: e.action })) }
          : undefined,
      wordPolicyConfig:
        words.length > 0 || props.blockProfanity !== false
          ? {
              wordsConfig: words.length > 0 ? words.map((text) => ({ text })) : undefined,
              managedWordListsConfig: props.blockProfanity !== false ? [{ type: 'PROFANITY' }] : undefined,
            }
          : undefined,
      contextualGroundingPolicyConfig: grounding
        ? {
            filtersConfig: [
              { type: 'GROUNDING', threshold: grounding.groundingThreshold },
              { type: 'RELEVANCE', threshold: grounding.relevanceThreshold },
            ],
          }
        : undefined,
    };
    const resource = new bedrock.CfnGuardrail(this, 'Resource', {
      name: props.guardrailName ?? `chat-${this.node.addr}`.slice(0, 50),
      description: props.description,
      kmsKeyArn: props.kmsKey?.keyArn,
      ...config,
    });
    // A new version whenever the configuration changes (like a Lambda function's currentVersion): the logical id
    // carries a hash of what the version freezes.
    const hash = createHash('sha256')
      .update(JSON.stringify({ ...config, key: props.kmsKey?.node.path }))
      .digest('hex')
      .slice(0, 10);
    const version = new bedrock.CfnGuardrailVersion(this, `Version${hash}`, {
      guardrailIdentifier: resource.attrGuardrailId,
      description: `Configuration ${hash}`,
    });
    this.guardrailId = resource.attrGuardrailId;
    this.guardrailArn = resource.attrGuardrailArn;
    this.guardrailVersion = version.attrVersion;
    this.kmsKey = props.kmsKey;
    this.contextualGrounding = grounding;
  }
}

class ImportedChatGuardrail extends ChatGuardrailBase {
  public readonly guardrailId: string;
  public readonly guardrailArn: string;
  public readonly guardrailVersion: string;
  public readonly kmsKey?: kms.IKey;

  constructor(scope: Construct, id: string, attrs: ChatGuardrailAttributes) {
    super(scope, id);
    const v = Validator.of('ChatGuardrail.fromGuardrailAttributes', this);
    const version = attrs.guardrailVersion ?? 'DRAFT';
    v.pattern('guardrailVersion', version, GUARDRAIL_VERSION, 'a number from 1, or DRAFT');
    if (!Token.isUnresolved(attrs.guardrailArn)) {
      const arn = Arn.split(attrs.guardrailArn, ArnFormat.SLASH_RESOURCE_NAME);
      if (arn.service !== 'bedrock' || arn.resource !== 'guardrail' || !arn.resourceName) {
        v.fail(`guardrailArn '${attrs.guardrailArn}' is not a guardrail ARN (arn:<partition>:bedrock:<region>:<account>:guardrail/<id>)`);
      }
      this.guardrailId = arn.resourceName ?? '';
    } else {
      this.guardrailId = Arn.split(attrs.guardrailArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName ?? '';
    }
    this.guardrailArn = attrs.guardrailArn;
    this.guardrailVersion = version;
    this.kmsKey = attrs.kmsKey;
  }
}
