/**
 * MITRE ATT&CK for Enterprise, the part Peregrine's matrix shows: the fourteen tactics in the
 * matrix's order and the techniques under them (every technique Falco's upstream rules and
 * Peregrine's default rules tag, the Linux, container and cloud techniques around them, and the
 * common ones of each tactic). Written from the public ATT&CK matrix (v15, 2024); names are
 * ATT&CK's. Sub-techniques are listed where rules tag them; a sub-technique tag the catalogue
 * does not name still counts under its parent (tags.ts).
 */

/** One ATT&CK tactic: its id, the `mitre_<shortName>` tag Falco rules use, its display name. */
export interface AttackTactic {
  id: string;
  shortName: string;
  name: string;
}

/** One technique or sub-technique (`parent` set) with the tactics it serves, in matrix order. */
export interface AttackTechnique {
  id: string;
  name: string;
  tactics: readonly string[];
  parent: string | null;
}

/** Enterprise tactics, left to right as the ATT&CK matrix shows them. */
export const ATTACK_TACTICS: readonly AttackTactic[] = [
  { id: 'TA0043', shortName: 'reconnaissance', name: 'Reconnaissance' },
  { id: 'TA0042', shortName: 'resource_development', name: 'Resource Development' },
  { id: 'TA0001', shortName: 'initial_access', name: 'Initial Access' },
  { id: 'TA0002', shortName: 'execution', name: 'Execution' },
  { id: 'TA0003', shortName: 'persistence', name: 'Persistence' },
  { id: 'TA0004', shortName: 'privilege_escalation', name: 'Privilege Escalation' },
  { id: 'TA0005', shortName: 'defense_evasion', name: 'Defense Evasion' },
  { id: 'TA0006', shortName: 'credential_access', name: 'Credential Access' },
  { id: 'TA0007', shortName: 'discovery', name: 'Discovery' },
  { id: 'TA0008', shortName: 'lateral_movement', name: 'Lateral Movement' },
  { id: 'TA0009', shortName: 'collection', name: 'Collection' },
  { id: 'TA0011', shortName: 'command_and_control', name: 'Command and Control' },
  { id: 'TA0010', shortName: 'exfiltration', name: 'Exfiltration' },
  { id: 'TA0040', shortName: 'impact', name: 'Impact' },
];

// Tactic short codes for the table below (kept short so each technique stays on one line).
const RECON = 'TA0043';
const RESOURCE = 'TA0042';
const INITIAL = 'TA0001';
const EXEC = 'TA0002';
const PERSIST = 'TA0003';
const PRIVESC = 'TA0004';
const EVASION = 'TA0005';
const CREDS = 'TA0006';
const DISCOVERY = 'TA0007';
const LATERAL = 'TA0008';
const COLLECT = 'TA0009';
const C2 = 'TA0011';
const EXFIL = 'TA0010';
const IMPACT = 'TA0040';

/** [id, name, tactics]; a sub-technique's tactics are its parent's. */
const TECHNIQUES: readonly (readonly [string, string, readonly string[]])[] = [
  // Reconnaissance
  ['T1595', 'Active Scanning', [RECON]],
  ['T1592', 'Gather Victim Host Information', [RECON]],
  ['T1589', 'Gather Victim Identity Information', [RECON]],
  ['T1590', 'Gather Victim Network Information', [RECON]],
  ['T1591', 'Gather Victim Org Information', [RECON]],
  ['T1598', 'Phishing for Information', [RECON]],
  ['T1597', 'Search Closed Sources', [RECON]],
  ['T1596', 'Search Open Technical Databases', [RECON]],
  ['T1593', 'Search Open Websites/Domains', [RECON]],
  ['T1594', 'Search Victim-Owned Websites', [RECON]],
  // Resource Development
  ['T1650', 'Acquire Access', [RESOURCE]],
  ['T1583', 'Acquire Infrastructure', [RESOURCE]],
  ['T1586', 'Compromise Accounts', [RESOURCE]],
  ['T1584', 'Compromise Infrastructure', [RESOURCE]],
  ['T1587', 'Develop Capabilities', [RESOURCE]],
  ['T1585', 'Establish Accounts', [RESOURCE]],
  ['T1588', 'Obtain Capabilities', [RESOURCE]],
  ['T1608', 'Stage Capabilities', [RESOURCE]],
  // Initial Access
  ['T1659', 'Content Injection', [INITIAL, C2]],
  ['T1189', 'Drive-by Compromise', [INITIAL]],
  ['T1190', 'Exploit Public-Facing Application', [INITIAL]],
  ['T1133', 'External Remote Services', [INITIAL, PERSIST]],
  ['T1200', 'Hardware Additions', [INITIAL]],
  ['T1566', 'Phishing', [INITIAL]],
  ['T1091', 'Replication Through Removable Media', [INITIAL, LATERAL]],
  ['T1195', 'Supply Chain Compromise', [INITIAL]],
  ['T1195.001', 'Compromise Software Dependencies and Development Tools', []],
  ['T1195.002', 'Compromise Software Supply Chain', []],
  ['T1199', 'Trusted Relationship', [INITIAL]],
  ['T1078', 'Valid Accounts', [INITIAL, PERSIST, PRIVESC, EVASION]],
  ['T1078.001', 'Default Accounts', []],
  ['T1078.003', 'Local Accounts', []],
  ['T1078.004', 'Cloud Accounts', []],
  // Execution
  ['T1651', 'Cloud Administration Command', [EXEC]],
  ['T1059', 'Command and Scripting Interpreter', [EXEC]],
  ['T1059.004', 'Unix Shell', []],
  ['T1059.006', 'Python', []],
  ['T1059.007', 'JavaScript', []],
  ['T1609', 'Container Administration Command', [EXEC]],
  ['T1610', 'Deploy Container', [EXEC, EVASION]],
  ['T1203', 'Exploitation for Client Execution', [EXEC]],
  ['T1559', 'Inter-Process Communication', [EXEC]],
  ['T1106', 'Native API', [EXEC]],
  ['T1053', 'Scheduled Task/Job', [EXEC, PERSIST, PRIVESC]],
  ['T1053.003', 'Cron', []],
  ['T1053.006', 'Systemd Timers', []],
  ['T1053.007', 'Container Orchestration Job', []],
  ['T1648', 'Serverless Execution', [EXEC]],
  ['T1129', 'Shared Modules', [EXEC]],
  ['T1072', 'Software Deployment Tools', [EXEC, LATERAL]],
  ['T1569', 'System Services', [EXEC]],
  ['T1204', 'User Execution', [EXEC]],
  ['T1204.003', 'Malicious Image', []],
  ['T1047', 'Windows Management Instrumentation', [EXEC]],
  // Persistence
  ['T1098', 'Account Manipulation', [PERSIST, PRIVESC]],
  ['T1098.001', 'Additional Cloud Credentials', []],
  ['T1098.003', 'Additional Cloud Roles', []],
  ['T1098.004', 'SSH Authorized Keys', []],
  ['T1197', 'BITS Jobs', [PERSIST, EVASION]],
  ['T1547', 'Boot or Logon Autostart Execution', [PERSIST, PRIVESC]],
  ['T1547.006', 'Kernel Modules and Extensions', []],
  ['T1037', 'Boot or Logon Initialization Scripts', [PERSIST, PRIVESC]],
  ['T1037.004', 'RC Scripts', []],
  ['T1176', 'Browser Extensions', [PERSIST]],
  ['T1554', 'Compromise Host Software Binary', [PERSIST]],
  ['T1136', 'Create Account', [PERSIST]],
  ['T1136.001', 'Local Account', []],
  ['T1136.003', 'Cloud Account', []],
  ['T1543', 'Create or Modify System Process', [PERSIST, PRIVESC]],
  ['T1543.002', 'Systemd Service', []],
  ['T1546', 'Event Triggered Execution', [PERSIST, PRIVESC]],
  ['T1546.004', 'Unix Shell Configuration Modification', []],
  ['T1574', 'Hijack Execution Flow', [PERSIST, PRIVESC, EVASION]],
  ['T1574.006', 'Dynamic Linker Hijacking', []],
  ['T1525', 'Implant Internal Image', [PERSIST]],
  ['T1556', 'Modify Authentication Process', [CREDS, EVASION, PERSIST]],
  ['T1556.003', 'Pluggable Authentication Modules', []],
  ['T1556.006', 'Multi-Factor Authentication', []],
  ['T1137', 'Office Application Startup', [PERSIST]],
  ['T1653', 'Power Settings', [PERSIST]],
  ['T1542', 'Pre-OS Boot', [PERSIST, EVASION]],
  ['T1505', 'Server Software Component', [PERSIST]],
  ['T1505.003', 'Web Shell', []],
  ['T1205', 'Traffic Signaling', [PERSIST, EVASION, C2]],
  ['T1205.001', 'Port Knocking', []],
  ['T1205.002', 'Socket Filters', []],
  // Privilege Escalation
  ['T1548', 'Abuse Elevation Control Mechanism', [PRIVESC, EVASION]],
  ['T1548.001', 'Setuid and Setgid', []],
  ['T1548.003', 'Sudo and Sudo Caching', []],
  ['T1134', 'Access Token Manipulation', [PRIVESC, EVASION]],
  ['T1484', 'Domain or Tenant Policy Modification', [PRIVESC, EVASION]],
  ['T1611', 'Escape to Host', [PRIVESC]],
  ['T1068', 'Exploitation for Privilege Escalation', [PRIVESC]],
  ['T1055', 'Process Injection', [PRIVESC, EVASION]],
  ['T1055.008', 'Ptrace System Calls', []],
  ['T1055.009', 'Proc Memory', []],
  // Defense Evasion
  ['T1140', 'Deobfuscate/Decode Files or Information', [EVASION]],
  ['T1006', 'Direct Volume Access', [EVASION]],
  ['T1480', 'Execution Guardrails', [EVASION]],
  ['T1211', 'Exploitation for Defense Evasion', [EVASION]],
  ['T1222', 'File and Directory Permissions Modification', [EVASION]],
  ['T1222.002', 'Linux and Mac File and Directory Permissions Modification', []],
  ['T1564', 'Hide Artifacts', [EVASION]],
  ['T1564.001', 'Hidden Files and Directories', []],
  ['T1562', 'Impair Defenses', [EVASION]],
  ['T1562.001', 'Disable or Modify Tools', []],
  ['T1562.004', 'Disable or Modify System Firewall', []],
  ['T1562.006', 'Indicator Blocking', []],
  ['T1562.007', 'Disable or Modify Cloud Firewall', []],
  ['T1562.008', 'Disable or Modify Cloud Logs', []],
  ['T1656', 'Impersonation', [EVASION]],
  ['T1070', 'Indicator Removal', [EVASION]],
  ['T1070.002', 'Clear Linux or Mac System Logs', []],
  ['T1070.003', 'Clear Command History', []],
  ['T1070.004', 'File Deletion', []],
  ['T1070.006', 'Timestomp', []],
  ['T1202', 'Indirect Command Execution', [EVASION]],
  ['T1036', 'Masquerading', [EVASION]],
  ['T1036.005', 'Match Legitimate Name or Location', []],
  ['T1578', 'Modify Cloud Compute Infrastructure', [EVASION]],
  ['T1112', 'Modify Registry', [EVASION]],
  ['T1601', 'Modify System Image', [EVASION]],
  ['T1599', 'Network Boundary Bridging', [EVASION]],
  ['T1027', 'Obfuscated Files or Information', [EVASION]],
  ['T1647', 'Plist File Modification', [EVASION]],
  ['T1620', 'Reflective Code Loading', [EVASION]],
  ['T1207', 'Rogue Domain Controller', [EVASION]],
  ['T1014', 'Rootkit', [EVASION]],
  ['T1553', 'Subvert Trust Controls', [EVASION]],
  ['T1218', 'System Binary Proxy Execution', [EVASION]],
  ['T1216', 'System Script Proxy Execution', [EVASION]],
  ['T1221', 'Template Injection', [EVASION]],
  ['T1127', 'Trusted Developer Utilities Proxy Execution', [EVASION]],
  ['T1535', 'Unused/Unsupported Cloud Regions', [EVASION]],
  ['T1550', 'Use Alternate Authentication Material', [EVASION, LATERAL]],
  ['T1497', 'Virtualization/Sandbox Evasion', [EVASION, DISCOVERY]],
  ['T1600', 'Weaken Encryption', [EVASION]],
  ['T1220', 'XSL Script Processing', [EVASION]],
  // Credential Access
  ['T1557', 'Adversary-in-the-Middle', [CREDS, COLLECT]],
  ['T1557.002', 'ARP Cache Poisoning', []],
  ['T1110', 'Brute Force', [CREDS]],
  ['T1110.001', 'Password Guessing', []],
  ['T1555', 'Credentials from Password Stores', [CREDS]],
  ['T1212', 'Exploitation for Credential Access', [CREDS]],
  ['T1187', 'Forced Authentication', [CREDS]],
  ['T1606', 'Forge Web Credentials', [CREDS]],
  ['T1056', 'Input Capture', [CREDS, COLLECT]],
  ['T1111', 'Multi-Factor Authentication Interception', [CREDS]],
  ['T1621', 'Multi-Factor Authentication Request Generation', [CREDS]],
  ['T1040', 'Network Sniffing', [CREDS, DISCOVERY]],
  ['T1003', 'OS Credential Dumping', [CREDS]],
  ['T1003.001', 'LSASS Memory', []],
  ['T1003.007', 'Proc Filesystem', []],
  ['T1003.008', '/etc/passwd and /etc/shadow', []],
  ['T1528', 'Steal Application Access Token', [CREDS]],
  ['T1649', 'Steal or Forge Authentication Certificates', [CREDS]],
  ['T1558', 'Steal or Forge Kerberos Tickets', [CREDS]],
  ['T1539', 'Steal Web Session Cookie', [CREDS]],
  ['T1552', 'Unsecured Credentials', [CREDS]],
  ['T1552.001', 'Credentials In Files', []],
  ['T1552.003', 'Bash History', []],
  ['T1552.004', 'Private Keys', []],
  ['T1552.005', 'Cloud Instance Metadata API', []],
  ['T1552.007', 'Container API', []],
  // Discovery
  ['T1087', 'Account Discovery', [DISCOVERY]],
  ['T1010', 'Application Window Discovery', [DISCOVERY]],
  ['T1217', 'Browser Information Discovery', [DISCOVERY]],
  ['T1580', 'Cloud Infrastructure Discovery', [DISCOVERY]],
  ['T1538', 'Cloud Service Dashboard', [DISCOVERY]],
  ['T1526', 'Cloud Service Discovery', [DISCOVERY]],
  ['T1619', 'Cloud Storage Object Discovery', [DISCOVERY]],
  ['T1613', 'Container and Resource Discovery', [DISCOVERY]],
  ['T1622', 'Debugger Evasion', [EVASION, DISCOVERY]],
  ['T1652', 'Device Driver Discovery', [DISCOVERY]],
  ['T1482', 'Domain Trust Discovery', [DISCOVERY]],
  ['T1083', 'File and Directory Discovery', [DISCOVERY]],
  ['T1615', 'Group Policy Discovery', [DISCOVERY]],
  ['T1654', 'Log Enumeration', [DISCOVERY]],
  ['T1046', 'Network Service Discovery', [DISCOVERY]],
  ['T1135', 'Network Share Discovery', [DISCOVERY]],
  ['T1201', 'Password Policy Discovery', [DISCOVERY]],
  ['T1120', 'Peripheral Device Discovery', [DISCOVERY]],
  ['T1069', 'Permission Groups Discovery', [DISCOVERY]],
  ['T1057', 'Process Discovery', [DISCOVERY]],
  ['T1012', 'Query Registry', [DISCOVERY]],
  ['T1018', 'Remote System Discovery', [DISCOVERY]],
  ['T1518', 'Software Discovery', [DISCOVERY]],
  ['T1082', 'System Information Discovery', [DISCOVERY]],
  ['T1614', 'System Location Discovery', [DISCOVERY]],
  ['T1016', 'System Network Configuration Discovery', [DISCOVERY]],
  ['T1049', 'System Network Connections Discovery', [DISCOVERY]],
  ['T1033', 'System Owner/User Discovery', [DISCOVERY]],
  ['T1007', 'System Service Discovery', [DISCOVERY]],
  ['T1124', 'System Time Discovery', [DISCOVERY]],
  // Lateral Movement
  ['T1210', 'Exploitation of Remote Services', [LATERAL]],
  ['T1534', 'Internal Spearphishing', [LATERAL]],
  ['T1570', 'Lateral Tool Transfer', [LATERAL]],
  ['T1563', 'Remote Service Session Hijacking', [LATERAL]],
  ['T1021', 'Remote Services', [LATERAL]],
  ['T1021.004', 'SSH', []],
  ['T1080', 'Taint Shared Content', [LATERAL]],
  // Collection
  ['T1560', 'Archive Collected Data', [COLLECT]],
  ['T1123', 'Audio Capture', [COLLECT]],
  ['T1119', 'Automated Collection', [COLLECT]],
  ['T1185', 'Browser Session Hijacking', [COLLECT]],
  ['T1115', 'Clipboard Data', [COLLECT]],
  ['T1530', 'Data from Cloud Storage', [COLLECT]],
  ['T1602', 'Data from Configuration Repository', [COLLECT]],
  ['T1213', 'Data from Information Repositories', [COLLECT]],
  ['T1005', 'Data from Local System', [COLLECT]],
  ['T1039', 'Data from Network Shared Drive', [COLLECT]],
  ['T1025', 'Data from Removable Media', [COLLECT]],
  ['T1074', 'Data Staged', [COLLECT]],
  ['T1114', 'Email Collection', [COLLECT]],
  ['T1113', 'Screen Capture', [COLLECT]],
  ['T1125', 'Video Capture', [COLLECT]],
  // Command and Control
  ['T1071', 'Application Layer Protocol', [C2]],
  ['T1092', 'Communication Through Removable Media', [C2]],
  ['T1132', 'Data Encoding', [C2]],
  ['T1001', 'Data Obfuscation', [C2]],
  ['T1568', 'Dynamic Resolution', [C2]],
  ['T1573', 'Encrypted Channel', [C2]],
  ['T1008', 'Fallback Channels', [C2]],
  ['T1665', 'Hide Infrastructure', [C2]],
  ['T1105', 'Ingress Tool Transfer', [C2]],
  ['T1104', 'Multi-Stage Channels', [C2]],
  ['T1095', 'Non-Application Layer Protocol', [C2]],
  ['T1571', 'Non-Standard Port', [C2]],
  ['T1572', 'Protocol Tunneling', [C2]],
  ['T1090', 'Proxy', [C2]],
  ['T1219', 'Remote Access Software', [C2]],
  ['T1102', 'Web Service', [C2]],
  // Exfiltration
  ['T1020', 'Automated Exfiltration', [EXFIL]],
  ['T1030', 'Data Transfer Size Limits', [EXFIL]],
  ['T1048', 'Exfiltration Over Alternative Protocol', [EXFIL]],
  ['T1041', 'Exfiltration Over C2 Channel', [EXFIL]],
  ['T1011', 'Exfiltration Over Other Network Medium', [EXFIL]],
  ['T1052', 'Exfiltration Over Physical Medium', [EXFIL]],
  ['T1567', 'Exfiltration Over Web Service', [EXFIL]],
  ['T1029', 'Scheduled Transfer', [EXFIL]],
  ['T1537', 'Transfer Data to Cloud Account', [EXFIL]],
  // Impact
  ['T1531', 'Account Access Removal', [IMPACT]],
  ['T1485', 'Data Destruction', [IMPACT]],
  ['T1486', 'Data Encrypted for Impact', [IMPACT]],
  ['T1565', 'Data Manipulation', [IMPACT]],
  ['T1491', 'Defacement', [IMPACT]],
  ['T1561', 'Disk Wipe', [IMPACT]],
  ['T1499', 'Endpoint Denial of Service', [IMPACT]],
  ['T1657', 'Financial Theft', [IMPACT]],
  ['T1495', 'Firmware Corruption', [IMPACT]],
  ['T1490', 'Inhibit System Recovery', [IMPACT]],
  ['T1498', 'Network Denial of Service', [IMPACT]],
  ['T1496', 'Resource Hijacking', [IMPACT]],
  ['T1489', 'Service Stop', [IMPACT]],
  ['T1529', 'System Shutdown/Reboot', [IMPACT]],
];

const TACTIC_ORDER = new Map(ATTACK_TACTICS.map((t, i) => [t.id, i]));

/** Every catalogued technique and sub-technique, parents before their sub-techniques. */
export const ATTACK_TECHNIQUES: readonly AttackTechnique[] = (() => {
  const parents = new Map<string, readonly string[]>();
  return TECHNIQUES.map(([id, name, tactics]) => {
    const parent = id.includes('.') ? id.slice(0, 5) : null;
    const own = parent ? (parents.get(parent) ?? []) : tactics;
    if (!parent) parents.set(id, tactics);
    return {
      id,
      name,
      tactics: [...own].sort((a, b) => (TACTIC_ORDER.get(a) ?? 0) - (TACTIC_ORDER.get(b) ?? 0)),
      parent,
    };
  });
})();

const BY_ID = new Map(ATTACK_TECHNIQUES.map((t) => [t.id, t]));
const TACTIC_BY_ID = new Map(ATTACK_TACTICS.map((t) => [t.id, t]));

/** The catalogued technique or sub-technique with this id (`T1059`, `T1059.004`). */
export function attackTechnique(id: string): AttackTechnique | undefined {
  return BY_ID.get(id);
}

/** The tactic with this id (`TA0002`). */
export function attackTactic(id: string): AttackTactic | undefined {
  return TACTIC_BY_ID.get(id);
}
