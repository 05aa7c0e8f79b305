/**
 * What each component of the lab rack holds: the artifacts it exports, how each record looks
 * (SQL dump lines, LDIF, PEM, JSON lines, XML — what the real services export), how a record's
 * key and its references to other data are read back on import, and how records are generated
 * from the seed. Record `i` of a kind is a pure function of (seed, i, version), so mutations
 * regenerate single records and references (record i of rbac names user j) stay valid.
 */
import type { ComponentId } from '../shared/rack-api.js';
import {
  Malformed,
  jsonText,
  ldifEntry,
  ldifSingle,
  parseJsonLine,
  parseSqlLine,
  sqlLine,
  sqlText,
  type Framing,
} from './framing.js';
import type { Seeded } from './random.js';

export const SCALES = ['small', 'medium', 'large'] as const;
export type Scale = (typeof SCALES)[number];

/** Multipliers: `n` for structured records, `bulk` for the large orchestration blobs. */
const FACTORS: Record<Scale, { n: number; bulk: number }> = {
  small: { n: 1, bulk: 1 },
  medium: { n: 6, bulk: 90 },
  large: { n: 24, bulk: 1050 },
};

export interface RackIdentity {
  readonly stampId: string;
  readonly region: string;
  readonly externalDomain: string;
  readonly version: string;
}

/** The CA's PEM documents, made once per rack (pki.ts) because keys cannot come from a seed cheaply. */
export interface CaMaterial {
  readonly root: string;
  readonly intermediate: string;
}

export interface GenContext {
  readonly rng: Seeded;
  readonly scale: Scale;
  readonly rack: RackIdentity;
  readonly ca: () => CaMaterial;
}

/** A reference from a record to another record, checked when an import is committed. */
export interface Ref {
  readonly component: ComponentId;
  readonly kind: string;
  readonly key: string;
}

export interface ArtifactSpec {
  readonly component: ComponentId;
  /** The artifact's file name, which is also the kind of its records. */
  readonly name: string;
  readonly framing: Framing;
  readonly mediaType: string;
  /** Fixed text before the records ('' for documents). */
  readonly header: string;
  keyOf(value: string): string;
  refsOf(value: string): Ref[];
  count(scale: Scale): number;
  make(ctx: GenContext, index: number, version: number): string;
  /**
   * On mutate, the share of touched records that are new ones; the rest, less the deletes, are
   * updates of the kind's hot rows (mutation.ts).
   */
  readonly growth: number;
  /**
   * On mutate, the share of touched records that are removed. Only for kinds no record refers
   * to, so that every export still passes a restore's reference checks.
   */
  readonly deletes: number;
  readonly mutable: boolean;
}

const n = (scale: Scale) => FACTORS[scale].n;

// ---------------------------------------------------------------------------------------------
// Names and keys shared across components (how one record names another)

const FIRST = [
  'Ada',
  'Bruno',
  'Chen',
  'Dana',
  'Emeka',
  'Farah',
  'Goran',
  'Hana',
  'Ivan',
  'Jun',
  'Kofi',
  'Lena',
  'Mateo',
  'Nora',
  'Omar',
  'Priya',
  'Quinn',
  'Rosa',
  'Sven',
  'Tara',
];
const LAST = [
  'Okafor',
  'Lindqvist',
  'Nakamura',
  'Moreau',
  'Kowalski',
  'Haddad',
  'Silva',
  'Novak',
  'Mensah',
  'Fischer',
  'Ibrahim',
  'Costa',
  'Berg',
  'Tanaka',
  'Rossi',
  'Walsh',
];
const DEPARTMENTS = [
  'Operations',
  'Finance',
  'Research',
  'Platform',
  'Security',
  'Networking',
  'Storage',
  'Field',
];
const LOCATIONS = ['local'];
const SKUS = [
  'Standard_A1_v2',
  'Standard_D2_v2',
  'Standard_D4_v2',
  'Standard_DS3_v2',
  'Standard_F8s',
];

const pad = (value: number, width = 6) => String(value).padStart(width, '0');
const counts = {
  users: (s: Scale) => 3000 * n(s),
  groups: (s: Scale) => 250 * n(s),
  principals: (s: Scale) => 300 * n(s),
  plans: (s: Scale) => 150 * n(s),
  offers: (s: Scale) => 50 * n(s),
  subscriptions: (s: Scale) => 1200 * n(s),
  vaults: (s: Scale) => 400 * n(s),
  secrets: (s: Scale) => 5000 * n(s),
  roleDefinitions: (s: Scale) => 60 * n(s),
};

const userId = (ctx: GenContext, i: number) => ctx.rng.uuid('user', i);
const principalId = (ctx: GenContext, i: number) => ctx.rng.uuid('service-principal', i);
const subscriptionId = (ctx: GenContext, i: number) => ctx.rng.uuid('subscription', i);
const planKey = (i: number) => `plan-${pad(i, 5)}`;
const offerKey = (i: number) => `offer-${pad(i, 5)}`;
const vaultKey = (i: number) => `kv-${pad(i, 5)}`;
const roleDefinitionId = (ctx: GenContext, i: number) => ctx.rng.uuid('role-definition', i);
const userName = (ctx: GenContext, i: number) =>
  `${ctx.rng.pick(FIRST, 'first', i)} ${ctx.rng.pick(LAST, 'last', i)}`;
const domainDn = (ctx: GenContext) =>
  ctx.rack.externalDomain
    .split('.')
    .map((part) => `DC=${part}`)
    .join(',');
const stamp = (ctx: GenContext, label: string, i: number, version: number) =>
  version === 0
    ? ctx.rng.date(label, i)
    : new Date(Date.UTC(2026, 6, 1) + version * 3_600_000 + (i % 3600) * 1000).toISOString();

/**
 * Identifiers led by a sequence number (a CA's serial led by its request number, then random
 * bits; a database's sequential GUIDs): dumps ordered by them list records in creation order, so
 * new records come last, as in the real services' exports.
 */
const sequence = (i: number) => i.toString(16).padStart(8, '0');
const sequentialSerial = (ctx: GenContext, i: number) =>
  `${sequence(i)}${ctx.rng.hex('cert-serial', i, 24)}`;
const sequentialGuid = (ctx: GenContext, label: string, i: number) =>
  `${sequence(i)}${ctx.rng.uuid(label, i).slice(8)}`;

const ref = (component: ComponentId, kind: string, key: string): Ref => ({ component, kind, key });
const subscriptionRef = (id: string) => ref('arm', 'subscriptions.sql', id);
const noRefs = (): Ref[] => [];

/** A generator of one "lines" artifact of SQL dump rows whose first column is the key. */
function sqlSpec(
  component: ComponentId,
  name: string,
  table: string,
  spec: {
    count: (scale: Scale) => number;
    row: (ctx: GenContext, i: number, version: number) => (string | number | null)[];
    refs?: (values: (string | number | null)[]) => Ref[];
    growth?: number;
    deletes?: number;
    mutable?: boolean;
  },
): ArtifactSpec {
  return {
    component,
    name,
    framing: 'lines',
    mediaType: 'application/sql',
    header: `-- ${component} database dump: table "${table}"\n-- one INSERT statement per row, ordered by key\n`,
    keyOf: (value) => sqlText(parseSqlLine(value, table), 0),
    refsOf: (value) => spec.refs?.(parseSqlLine(value, table)) ?? [],
    count: spec.count,
    make: (ctx, i, version) => sqlLine(table, spec.row(ctx, i, version)),
    growth: spec.growth ?? 0,
    deletes: spec.deletes ?? 0,
    mutable: spec.mutable ?? true,
  };
}

/** A generator of one JSON-lines artifact whose records carry their key in "id". */
function jsonSpec(
  component: ComponentId,
  name: string,
  spec: {
    count: (scale: Scale) => number;
    record: (ctx: GenContext, i: number, version: number) => Record<string, unknown>;
    refs?: (record: Record<string, unknown>) => Ref[];
    growth?: number;
    deletes?: number;
    mutable?: boolean;
  },
): ArtifactSpec {
  return {
    component,
    name,
    framing: 'lines',
    mediaType: 'application/x-ndjson',
    header: `# ${component} ${name.replace('.jsonl', '')}: one JSON object per line, ordered by id\n`,
    keyOf: (value) => jsonText(parseJsonLine(value), 'id'),
    refsOf: (value) => spec.refs?.(parseJsonLine(value)) ?? [],
    count: spec.count,
    make: (ctx, i, version) => JSON.stringify(spec.record(ctx, i, version)),
    growth: spec.growth ?? 0,
    deletes: spec.deletes ?? 0,
    mutable: spec.mutable ?? true,
  };
}

/** A generator of one LDIF artifact whose entries are keyed by objectGUID. */
function ldifSpec(
  name: string,
  spec: {
    count: (scale: Scale) => number;
    entry: (ctx: GenContext, i: number, version: number) => [string, string][];
    growth?: number;
  },
): ArtifactSpec {
  return {
    component: 'identity',
    name,
    framing: 'blocks',
    mediaType: 'text/x-ldif',
    header: `# identity directory export (${name.replace('.ldif', '')})\nversion: 1\n\n`,
    keyOf: (value) => ldifSingle(value, 'objectGUID'),
    refsOf: noRefs,
    count: spec.count,
    make: (ctx, i, version) => ldifEntry(spec.entry(ctx, i, version)),
    growth: spec.growth ?? 0,
    deletes: 0,
    mutable: true,
  };
}

/** A single-record artifact (a configuration document, a PEM bundle). */
function documentSpec(
  component: ComponentId,
  name: string,
  mediaType: string,
  make: (ctx: GenContext) => string,
  check: (value: string) => void,
): ArtifactSpec {
  return {
    component,
    name,
    framing: 'document',
    mediaType,
    header: '',
    keyOf: (value) => {
      check(value);
      return name;
    },
    refsOf: noRefs,
    count: () => 1,
    make: (ctx) => make(ctx),
    growth: 0,
    deletes: 0,
    mutable: false,
  };
}

/** Text that reads like configuration (compressible) mixed with random key material (not). */
function orchestrationPayload(ctx: GenContext, i: number, version: number): string {
  const parts: string[] = [
    `<RoleState Role=\\"${ctx.rng.pick(ROLES, 'role', i)}\\" Revision=\\"${version}\\">`,
  ];
  const settings = 120 + ctx.rng.int('settings', i, 0, 80);
  for (let k = 0; k < settings; k++) {
    const name = ctx.rng.pick(SETTING_NAMES, 'setting', i, k);
    parts.push(
      `  <Setting Name=\\"${name}${k % 7}\\" Value=\\"${ctx.rng.hex('value', i, 12, k + version * 1000)}\\" Scope=\\"Node${pad(k % 16, 2)}\\" />`,
    );
  }
  parts.push(
    `  <Blob Encoding=\\"base64\\">${ctx.rng.bytes('blob', i, 9000, version).toString('base64')}</Blob>`,
  );
  parts.push('</RoleState>');
  return parts.join('\\n');
}

const ROLES = [
  'ACS',
  'ADFS',
  'BareMetal',
  'CA',
  'Compute',
  'Domain',
  'ECE',
  'FabricRing',
  'Gateway',
  'HealthMonitoring',
  'KeyVault',
  'NRP',
  'SeedRing',
  'SQL',
  'SRP',
  'WAS',
  'WASPUBLIC',
  'XRP',
];
const SETTING_NAMES = [
  'ClusterSize',
  'CertificateThumbprint',
  'EndpointUri',
  'ServiceAccount',
  'ReplicaCount',
  'LogRetentionDays',
  'BackupWindow',
  'DnsZone',
  'PortRange',
  'TlsPolicy',
];

function deploymentInputs(ctx: GenContext): string {
  const nodes = Array.from({ length: 16 }, (_, k) => ({
    Name: `S-Cluster-Node${pad(k + 1, 2)}`,
    BmcIPAddress: `10.10.0.${10 + k}`,
    MacAddresses: [0, 1].map((m) =>
      ctx.rng
        .hex('mac', k, 12, m)
        .replace(/(..)(?!$)/g, '$1-')
        .toUpperCase(),
    ),
    SerialNumber: ctx.rng.hex('serial', k, 10).toUpperCase(),
    Disks: Array.from({ length: 12 }, (_, d) => ({
      Slot: d,
      SizeGB: d < 4 ? 1600 : 8000,
      Media: d < 4 ? 'SSD' : 'HDD',
    })),
  }));
  const networks = ['BMC', 'Storage', 'Infrastructure', 'PublicVIP', 'PrivateVIP', 'Switch'].map(
    (name, k) => ({
      Name: name,
      Subnet: `10.${20 + k}.0.0/24`,
      Gateway: `10.${20 + k}.0.1`,
      VlanId: 100 + k,
    }),
  );
  const inputs = {
    DeploymentData: {
      StampId: ctx.rack.stampId,
      RegionName: ctx.rack.region,
      ExternalDomainFQDN: ctx.rack.externalDomain,
      IdentitySystem: 'ADFS',
      DeploymentMode: 'Disconnected',
      TimeServer: '10.10.0.2',
      DNSForwarder: ['10.10.0.3', '10.10.0.4'],
      InfraAzureDirectoryTenantName: `${ctx.rack.region}.${ctx.rack.externalDomain}`,
      PhysicalNodes: nodes,
      Networks: networks,
    },
  };
  return `${JSON.stringify(inputs, null, 2)}\n`;
}

function federationMetadata(ctx: GenContext): string {
  const host = `adfs.${ctx.rack.region}.${ctx.rack.externalDomain}`;
  const cert = ctx.rng.bytes('federation-cert', 0, 1200).toString('base64');
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    `<EntityDescriptor ID="_${ctx.rng.uuid('federation', 0)}" entityID="http://${host}/adfs/services/trust" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">`,
    '  <RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">',
    '    <KeyDescriptor use="signing">',
    `      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>${cert}</X509Certificate></X509Data></KeyInfo>`,
    '    </KeyDescriptor>',
    ...CLAIM_TYPES.map(
      (type) =>
        `    <fed:ClaimType Uri="${type}" Optional="true" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"/>`,
    ),
    `    <fed:SecurityTokenServiceEndpoint><EndpointReference xmlns="http://www.w3.org/2005/08/addressing"><Address>https://${host}/adfs/services/trust/2005/issuedtokenmixedsymmetricbasic256</Address></EndpointReference></fed:SecurityTokenServiceEndpoint>`,
    '  </RoleDescriptor>',
    '</EntityDescriptor>',
    '',
  ].join('\n');
}

const CLAIM_TYPES = [
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/groupsid',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/primarysid',
  'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
];

const pemCheck = (value: string) => {
  if (
    !value.includes('-----BEGIN CERTIFICATE-----') ||
    !value.includes('-----BEGIN PRIVATE KEY-----')
  ) {
    throw new Malformed('a CA document needs a certificate and its private key in PEM');
  }
};

// ---------------------------------------------------------------------------------------------
// The artifacts of every component

const deployment: ArtifactSpec[] = [
  documentSpec(
    'deployment',
    'deployment-inputs.json',
    'application/json',
    deploymentInputs,
    (value) => {
      try {
        JSON.parse(value);
      } catch {
        throw new Malformed('deployment inputs are not JSON');
      }
    },
  ),
  sqlSpec('deployment', 'ece-roles.sql', 'ece_roles', {
    count: (s) => 150 * n(s),
    row: (ctx, i, v) => [
      `role-${pad(i)}`,
      ctx.rng.pick(ROLES, 'role', i),
      `S-Cluster-Node${pad(ctx.rng.int('node', i, 1, 16), 2)}`,
      ctx.rng.int('instance', i, 1, 3),
      v % 5 === 4 ? 'Updating' : 'Running',
      JSON.stringify({
        memoryMB: ctx.rng.int('memory', i, 2, 32) * 1024,
        cores: ctx.rng.int('cores', i, 2, 16),
        revision: v,
      }),
    ],
  }),
  sqlSpec('deployment', 'ece-state.sql', 'ece_state', {
    count: (s) => 180 * FACTORS[s].bulk,
    row: (ctx, i, v) => [
      `state-${pad(i, 8)}`,
      ctx.rng.pick(ROLES, 'role', i),
      v,
      orchestrationPayload(ctx, i, v),
    ],
    growth: 0.1,
  }),
];

const identity: ArtifactSpec[] = [
  ldifSpec('users.ldif', {
    count: counts.users,
    growth: 0.2,
    entry: (ctx, i, v) => {
      const name = userName(ctx, i);
      const account = `${name.replace(' ', '.').toLowerCase()}${i}`;
      return [
        ['dn', `CN=${name} ${i},OU=Users,${domainDn(ctx)}`],
        ['objectClass', 'top'],
        ['objectClass', 'person'],
        ['objectClass', 'user'],
        ['cn', `${name} ${i}`],
        ['displayName', name],
        ['department', ctx.rng.pick(DEPARTMENTS, 'department', i)],
        ['sAMAccountName', account.slice(0, 20)],
        ['userPrincipalName', `${account}@${ctx.rack.externalDomain}`],
        ['mail', `${account}@${ctx.rack.externalDomain}`],
        ['objectGUID', userId(ctx, i)],
        ['objectSid', `S-1-5-21-${ctx.rng.int('sid', 0, 1e8, 9e8)}-${1000 + i}`],
        ['whenCreated', ctx.rng.date('created', i).replace(/[-:T]/g, '').slice(0, 14) + '.0Z'],
        [
          'pwdLastSet',
          String(133_000_000_000_000_000 + ctx.rng.int('pwd', i, 0, 1e9) + v * 36_000_000_000),
        ],
        ['userAccountControl', v % 7 === 6 ? '514' : '512'],
      ];
    },
  }),
  ldifSpec('groups.ldif', {
    count: counts.groups,
    entry: (ctx, i, v) => {
      const members = ctx.rng.int('members', i, 3, 30) + (v % 3);
      return [
        [
          'dn',
          `CN=${ctx.rng.pick(DEPARTMENTS, 'group-dept', i)} Team ${i},OU=Groups,${domainDn(ctx)}`,
        ],
        ['objectClass', 'top'],
        ['objectClass', 'group'],
        ['objectGUID', ctx.rng.uuid('group', i)],
        ['groupType', '-2147483646'],
        ...Array.from({ length: members }, (_, k): [string, string] => [
          'member',
          `CN=${userName(ctx, ctx.rng.int('member', i, 0, counts.users(ctx.scale) - 1, k))},OU=Users,${domainDn(ctx)}`,
        ]),
      ];
    },
  }),
  ldifSpec('service-principals.ldif', {
    count: counts.principals,
    entry: (ctx, i, v) => [
      [
        'dn',
        `CN=svc-${ctx.rng.pick(ROLES, 'sp-role', i).toLowerCase()}-${i},OU=ServicePrincipals,${domainDn(ctx)}`,
      ],
      ['objectClass', 'servicePrincipal'],
      ['objectGUID', principalId(ctx, i)],
      [
        'servicePrincipalName',
        `https://${ctx.rng.pick(ROLES, 'sp-role', i).toLowerCase()}.${ctx.rack.externalDomain}/${i}`,
      ],
      ['appId', ctx.rng.uuid('app', i)],
      ['keyCredentials', ctx.rng.bytes('sp-key', i, 520, v).toString('base64')],
    ],
  }),
];

const federation: ArtifactSpec[] = [
  documentSpec(
    'federation',
    'federation-metadata.xml',
    'application/samlmetadata+xml',
    federationMetadata,
    (value) => {
      if (!value.startsWith('<?xml') || !value.includes('<EntityDescriptor'))
        throw new Malformed('not federation metadata XML');
    },
  ),
  jsonSpec('federation', 'relying-parties.jsonl', {
    count: (s) => 40 * n(s),
    record: (ctx, i, v) => ({
      id: `rp-${pad(i, 4)}`,
      name: `${ctx.rng.pick(ROLES, 'rp', i)} relying party ${i}`,
      identifier: `https://${ctx.rng.pick(ROLES, 'rp', i).toLowerCase()}.${ctx.rack.externalDomain}/rp/${i}`,
      enabled: v % 9 !== 8,
      tokenLifetimeMinutes: 60,
      signingCertificateThumbprint: ctx.rng.hex('rp-thumb', i, 40, v).toUpperCase(),
      claimRules: Array.from({ length: 3 }, (_, k) => `rp-${pad(i, 4)} rule ${k}`),
    }),
  }),
  {
    component: 'federation',
    name: 'claim-rules.txt',
    framing: 'blocks',
    mediaType: 'text/plain',
    header: '# ADFS issuance transform rules, one rule set per block\n\n',
    keyOf: (value) => {
      const match = /^@RuleName = "([^"\n]+)"\n/.exec(value);
      if (match === null) throw new Malformed('a claim rule must start with @RuleName = "…"');
      return match[1] as string;
    },
    refsOf: noRefs,
    count: (s) => 120 * n(s),
    make: (ctx, i, v) =>
      [
        `@RuleName = "rp-${pad(Math.floor(i / 3), 4)} rule ${i % 3}"`,
        `c:[Type == "${ctx.rng.pick(CLAIM_TYPES, 'claim', i)}", Issuer == "AD AUTHORITY"]`,
        ` => issue(Type = "${ctx.rng.pick(CLAIM_TYPES, 'claim-out', i, v)}", Value = c.Value);`,
      ].join('\n'),
    growth: 0,
    deletes: 0,
    mutable: true,
  },
];

const ca: ArtifactSpec[] = [
  documentSpec('ca', 'root-ca.pem', 'application/x-pem-file', (ctx) => ctx.ca().root, pemCheck),
  documentSpec(
    'ca',
    'intermediate-ca.pem',
    'application/x-pem-file',
    (ctx) => ctx.ca().intermediate,
    pemCheck,
  ),
  sqlSpec('ca', 'issued.sql', 'issued_certificates', {
    count: (s) => 2500 * n(s),
    growth: 1,
    row: (ctx, i, v) => {
      const issued = ctx.rng.date('issued', i);
      return [
        sequentialSerial(ctx, i),
        `CN=${ctx.rng.pick(ROLES, 'cert-role', i).toLowerCase()}-${i}.${ctx.rack.region}.${ctx.rack.externalDomain}`,
        issued,
        new Date(Date.parse(issued) + 730 * 86_400_000).toISOString(),
        v % 11 === 10 ? 'R' : 'V',
        ctx.rng.pick(['WebServer', 'ClientAuth', 'CodeSigning', 'DomainController'], 'template', i),
        ctx.rng.hex('thumbprint', i, 40).toUpperCase(),
        ctx.rng.bytes('cert-der', i, 880).toString('base64'),
      ];
    },
  }),
];

const arm: ArtifactSpec[] = [
  sqlSpec('arm', 'plans.sql', 'plans', {
    count: counts.plans,
    row: (ctx, i, v) => [
      planKey(i),
      `${ctx.rng.pick(DEPARTMENTS, 'plan', i)} plan ${i}`,
      `/subscriptions/${subscriptionId(ctx, 0)}/resourceGroups/plans/providers/Microsoft.Subscriptions.Admin/plans/${planKey(i)}`,
      [
        `compute-quota-${pad(i % 30, 4)}`,
        `storage-quota-${pad(i % 30, 4)}`,
        `network-quota-${pad(i % 30, 4)}`,
      ].join(','),
      v,
    ],
  }),
  sqlSpec('arm', 'offers.sql', 'offers', {
    count: counts.offers,
    row: (ctx, i, v) => [
      offerKey(i),
      `${ctx.rng.pick(DEPARTMENTS, 'offer', i)} offer ${i}`,
      v % 4 === 3 ? 'Private' : 'Public',
      [0, 1, 2]
        .map((k) => planKey(ctx.rng.int('offer-plan', i, 0, counts.plans(ctx.scale) - 1, k)))
        .join(','),
    ],
    refs: (values) =>
      sqlText(values, 3)
        .split(',')
        .map((plan) => ref('arm', 'plans.sql', plan)),
  }),
  sqlSpec('arm', 'subscriptions.sql', 'subscriptions', {
    count: counts.subscriptions,
    growth: 0.5,
    row: (ctx, i, v) => [
      subscriptionId(ctx, i),
      `${ctx.rng.pick(DEPARTMENTS, 'sub', i)} subscription ${i}`,
      offerKey(ctx.rng.int('sub-offer', i, 0, counts.offers(ctx.scale) - 1)),
      userId(ctx, ctx.rng.int('sub-owner', i, 0, counts.users(ctx.scale) - 1)),
      v % 6 === 5 ? 'Disabled' : 'Enabled',
      stamp(ctx, 'sub-created', i, v),
    ],
    refs: (values) => [
      ref('arm', 'offers.sql', sqlText(values, 2)),
      ref('identity', 'users.ldif', sqlText(values, 3)),
    ],
  }),
  jsonSpec('arm', 'delegated-providers.jsonl', {
    count: (s) => 10 * n(s),
    record: (ctx, i, v) => ({
      id: `delegated-${pad(i, 4)}`,
      subscriptionId: subscriptionId(ctx, i),
      displayName: `Reseller ${i}`,
      offers: [offerKey(i % counts.offers(ctx.scale))],
      revision: v,
    }),
    refs: (record) => [ref('arm', 'subscriptions.sql', jsonText(record, 'subscriptionId'))],
  }),
];

function quotaSpec(
  component: 'crp' | 'srp' | 'nrp',
  prefix: string,
  limits: string[],
): ArtifactSpec {
  return sqlSpec(component, 'quotas.sql', 'quotas', {
    count: (s) => 30 * n(s),
    row: (ctx, i, v) => [
      `${prefix}-quota-${pad(i, 4)}`,
      ctx.rng.pick(LOCATIONS, 'location', i),
      ...limits.map((limit, k) => ctx.rng.int(limit, i, 10, 5000, v + k)),
    ],
  });
}

const crp: ArtifactSpec[] = [
  quotaSpec('crp', 'compute', [
    'virtualMachineCount',
    'coresLimit',
    'availabilitySetCount',
    'vmScaleSetCount',
  ]),
  jsonSpec('crp', 'platform-images.jsonl', {
    count: (s) => 120 * n(s),
    record: (ctx, i, v) => ({
      id: `${ctx.rng.pick(['MicrosoftWindowsServer', 'Canonical', 'RedHat', 'SUSE'], 'publisher', i)}/offer-${i % 12}/sku-${i % 7}/1.${i}.0`,
      revision: v,
      osType: i % 3 === 0 ? 'Linux' : 'Windows',
      sizeGB: ctx.rng.int('image-size', i, 30, 127),
      provisioningState: 'Succeeded',
      billingPartNumber: ctx.rng.hex('billing', i, 10).toUpperCase(),
      description: `Platform image ${i} for ${ctx.rng.pick(SKUS, 'image-sku', i)}. `.repeat(12),
    }),
  }),
  sqlSpec('crp', 'subscription-settings.sql', 'subscription_settings', {
    count: counts.subscriptions,
    row: (ctx, i, v) => [
      subscriptionId(ctx, i),
      ctx.rng.int('max-vms', i, 10, 500, v),
      ctx.rng.pick(SKUS, 'default-sku', i, v),
      v,
    ],
    refs: (values) => [subscriptionRef(sqlText(values, 0))],
  }),
];

const srp: ArtifactSpec[] = [
  quotaSpec('srp', 'storage', ['capacityInGb', 'numberOfStorageAccounts']),
  sqlSpec('srp', 'storage-accounts.sql', 'storage_accounts', {
    count: (s) => 2000 * n(s),
    growth: 0.3,
    deletes: 0.05,
    row: (ctx, i, v) => {
      const account = `sa${ctx.rng.hex('account', i, 10)}${i}`;
      return [
        account,
        subscriptionId(ctx, ctx.rng.int('sa-sub', i, 0, counts.subscriptions(ctx.scale) - 1)),
        `rg-${ctx.rng.pick(DEPARTMENTS, 'rg', i).toLowerCase()}`,
        ctx.rng.pick(['Standard_LRS', 'Premium_LRS'], 'sa-sku', i),
        `https://${account}.blob.${ctx.rack.region}.${ctx.rack.externalDomain}/`,
        ctx.rng.bytes('sa-key1', i, 64, v).toString('base64'),
        ctx.rng.bytes('sa-key2', i, 64, v).toString('base64'),
      ];
    },
    refs: (values) => [subscriptionRef(sqlText(values, 1))],
  }),
];

const nrp: ArtifactSpec[] = [
  quotaSpec('nrp', 'network', [
    'maxPublicIpsPerSubscription',
    'maxVnetsPerSubscription',
    'maxNicsPerSubscription',
  ]),
  jsonSpec('nrp', 'virtual-networks.jsonl', {
    count: (s) => 800 * n(s),
    growth: 0.3,
    deletes: 0.05,
    record: (ctx, i, v) => {
      const sub = subscriptionId(
        ctx,
        ctx.rng.int('vnet-sub', i, 0, counts.subscriptions(ctx.scale) - 1),
      );
      return {
        id: `/subscriptions/${sub}/resourceGroups/network/providers/Microsoft.Network/virtualNetworks/vnet-${pad(i)}`,
        subscriptionId: sub,
        addressSpace: [`10.${i % 250}.0.0/16`],
        subnets: Array.from({ length: 1 + (i % 4) + (v % 2) }, (_, k) => ({
          name: `subnet-${k}`,
          prefix: `10.${i % 250}.${k}.0/24`,
        })),
      };
    },
    refs: (record) => [subscriptionRef(jsonText(record, 'subscriptionId'))],
  }),
  jsonSpec('nrp', 'public-ip-pools.jsonl', {
    count: (s) => 10 * n(s),
    record: (_ctx, i, v) => ({
      id: `pool-${pad(i, 3)}`,
      firstAddress: `192.168.${i}.10`,
      lastAddress: `192.168.${i}.250`,
      allocated: v * 3 + i,
    }),
  }),
];

const keyvault: ArtifactSpec[] = [
  jsonSpec('keyvault', 'vaults.jsonl', {
    count: counts.vaults,
    record: (ctx, i, v) => ({
      id: vaultKey(i),
      subscriptionId: subscriptionId(
        ctx,
        ctx.rng.int('vault-sub', i, 0, counts.subscriptions(ctx.scale) - 1),
      ),
      resourceGroup: `rg-${ctx.rng.pick(DEPARTMENTS, 'vault-rg', i).toLowerCase()}`,
      sku: 'standard',
      enableSoftDelete: true,
      accessPolicies: [0, 1].map((k) => ({
        objectId: userId(ctx, ctx.rng.int('vault-policy', i, 0, counts.users(ctx.scale) - 1, k)),
        permissions: { secrets: v % 2 === 0 ? ['get', 'list'] : ['get', 'list', 'set'] },
      })),
    }),
    refs: (record) => {
      const policies = Array.isArray(record['accessPolicies'])
        ? (record['accessPolicies'] as Record<string, unknown>[])
        : [];
      return [
        subscriptionRef(jsonText(record, 'subscriptionId')),
        ...policies.map((policy) => ref('identity', 'users.ldif', jsonText(policy, 'objectId'))),
      ];
    },
  }),
  sqlSpec('keyvault', 'secrets.sql', 'secrets', {
    count: counts.secrets,
    growth: 1,
    row: (ctx, i, v) => {
      // A rotation is a new record: a new version of an existing secret name. Names fill the
      // vaults in order, so the rotations of one mutation (consecutive names) share few vaults.
      const base = i % counts.secrets(ctx.scale);
      const vault = vaultKey(
        Math.floor((base * counts.vaults(ctx.scale)) / counts.secrets(ctx.scale)),
      );
      const name = `secret-${pad(base)}`;
      return [
        `${vault}/${name}/${ctx.rng.hex('secret-version', i, 32)}`,
        vault,
        name,
        ctx.rng.pick(
          ['text/plain', 'application/x-pkcs12', 'application/json'],
          'content-type',
          base,
        ),
        v % 10 === 9 ? 0 : 1,
        stamp(ctx, 'secret-created', i, v),
        ctx.rng
          .bytes('secret-value', i, ctx.rng.int('secret-size', i, 64, 1500), v)
          .toString('base64'),
      ];
    },
    refs: (values) => [ref('keyvault', 'vaults.jsonl', sqlText(values, 1))],
  }),
  jsonSpec('keyvault', 'deleted-items.jsonl', {
    count: (s) => 200 * n(s),
    growth: 1,
    deletes: 0.25, // purged
    record: (ctx, i) => {
      const vault = vaultKey(i % counts.vaults(ctx.scale));
      return {
        id: `${vault}/deleted/${ctx.rng.hex('deleted', i, 16)}`,
        vault,
        deletedDate: ctx.rng.date('deleted-date', i),
        recoveryLevel: 'Recoverable+Purgeable',
      };
    },
    refs: (record) => [ref('keyvault', 'vaults.jsonl', jsonText(record, 'vault'))],
  }),
];

const rbac: ArtifactSpec[] = [
  jsonSpec('rbac', 'role-definitions.jsonl', {
    count: counts.roleDefinitions,
    record: (ctx, i, v) => ({
      id: roleDefinitionId(ctx, i),
      roleName: i < 3 ? ['Owner', 'Contributor', 'Reader'][i] : `Custom role ${i}`,
      type: i < 3 ? 'BuiltInRole' : 'CustomRole',
      actions:
        i === 2
          ? ['*/read']
          : ['*', `Microsoft.Compute/virtualMachines/${v % 2 === 0 ? 'start' : 'restart'}/action`],
      notActions: i === 1 ? ['Microsoft.Authorization/*/Write'] : [],
    }),
  }),
  sqlSpec('rbac', 'role-assignments.sql', 'role_assignments', {
    count: (s) => 7000 * n(s),
    growth: 1,
    row: (ctx, i) => {
      const toPrincipal = ctx.rng.unit('principal-kind', i) < 0.15;
      const principal = toPrincipal
        ? principalId(ctx, ctx.rng.int('ra-sp', i, 0, counts.principals(ctx.scale) - 1))
        : userId(ctx, ctx.rng.int('ra-user', i, 0, counts.users(ctx.scale) - 1));
      return [
        sequentialGuid(ctx, 'role-assignment', i),
        principal,
        toPrincipal ? 'ServicePrincipal' : 'User',
        roleDefinitionId(ctx, ctx.rng.int('ra-role', i, 0, counts.roleDefinitions(ctx.scale) - 1)),
        `/subscriptions/${subscriptionId(ctx, ctx.rng.int('ra-sub', i, 0, counts.subscriptions(ctx.scale) - 1))}`,
      ];
    },
    refs: (values) => [
      ref(
        'identity',
        sqlText(values, 2) === 'User' ? 'users.ldif' : 'service-principals.ldif',
        sqlText(values, 1),
      ),
      ref('rbac', 'role-definitions.jsonl', sqlText(values, 3)),
      subscriptionRef(scopeSubscription(sqlText(values, 4))),
    ],
    deletes: 0.1, // access revoked
    mutable: false,
  }),
  jsonSpec('rbac', 'policy-assignments.jsonl', {
    count: (s) => 250 * n(s),
    record: (ctx, i, v) => {
      const sub = subscriptionId(
        ctx,
        ctx.rng.int('policy-sub', i, 0, counts.subscriptions(ctx.scale) - 1),
      );
      return {
        id: `/subscriptions/${sub}/providers/Microsoft.Authorization/policyAssignments/pa-${pad(i)}`,
        scope: `/subscriptions/${sub}`,
        policyDefinitionId: `/providers/Microsoft.Authorization/policyDefinitions/${ctx.rng.uuid('policy-def', i % 40)}`,
        enforcementMode: v % 2 === 0 ? 'Default' : 'DoNotEnforce',
        parameters: { allowedLocations: { value: [ctx.rack.region] } },
      };
    },
    refs: (record) => [subscriptionRef(scopeSubscription(jsonText(record, 'scope')))],
  }),
];

function scopeSubscription(scope: string): string {
  const match = /^\/subscriptions\/([0-9a-f-]{36})$/.exec(scope);
  if (match === null) throw new Malformed('a scope must be /subscriptions/<id>');
  return match[1] as string;
}

export const ARTIFACTS: Readonly<Record<ComponentId, readonly ArtifactSpec[]>> = {
  deployment,
  identity,
  federation,
  ca,
  arm,
  crp,
  srp,
  nrp,
  keyvault,
  rbac,
};

export function artifactSpec(component: ComponentId, name: string): ArtifactSpec | undefined {
  return ARTIFACTS[component].find((spec) => spec.name === name);
}
