/** Word lists for generated records: mostly plain, with accents, CJK, an emoji and JSON escapes mixed in. */

export const FIRST_NAMES = [
  'Walkin',
  'John',
  'Mary',
  'José',
  'Zoë',
  'François',
  'Björn',
  'Łukasz',
  'Søren',
  'Aïsha',
  'Chloé',
  'Ngozi',
  'Priya',
  'Liam',
  'Olivia',
  'Mateo',
  'Hana',
  '美咲',
  '伟',
  'Ólafur',
  'Dmitri',
  'Fatima',
  'Grace',
  'Kenji',
];

export const LAST_NAMES = [
  'Customer',
  'Smith',
  'Müller',
  'García',
  'Nguyễn',
  "O'Brien",
  'Kowalski',
  'Søndergaard',
  'Dubois',
  'Rossi',
  '佐藤',
  '王',
  'Johnson',
  'Okafor',
  'Patel',
  'Andersson',
  'Núñez',
  'Lefèvre',
  'Novák',
  'Brown',
];

export const BUSINESSES = [
  'Acme Repairs',
  'Globex LLC',
  'Café Müller',
  'Initech',
  'Umbrella IT',
  '北京科技有限公司',
  'Søstrene Data',
  'Bob\'s "Best" Computers',
  'Élan Vital SARL',
  'Stark & Sons',
  'Nakatomi 商事',
  'Pixel 🚀 Labs',
];

export const STREETS = ['Main St', 'Oak Ave', 'Rue de la Paix', 'Königstraße', 'Elm Rd', 'High St', 'Calle Mayor', '銀座通り'];
export const CITIES = ['Springfield', 'Portland', 'Montréal', 'München', 'São Paulo', 'Austin', '東京', 'Reykjavík', 'Leeds'];
export const STATES = ['CA', 'OR', 'TX', 'NY', 'QC', 'BY', 'SP', 'WA', null];

export const NOTES = [
  'Prefers email.',
  'Call before 5pm ☎️',
  'Très bon client — paie toujours à temps.',
  'Has a "special" arrangement with the owner.',
  'Line one\nLine two\twith a tab',
  'Backslash in path: C:\\Users\\admin',
  '顧客はメールを好みます。',
  'VIP 🙂',
  'Ask for Zoë at the front desk.',
];

export const SUBJECTS = [
  'Laptop will not boot',
  'Printer jammed again',
  'Virus cleanup',
  'Replace cracked screen',
  'Email not syncing',
  'Wi‑Fi drops every hour',
  'Écran bleu au démarrage',
  'データ復旧',
  'Install Office 365',
  'Server fan noisy 🔊',
];

export const PROBLEM_TYPES = ['Virus', 'Hardware', 'Software', 'Network', 'Contract Work', 'Other'];
export const TICKET_STATUSES = ['New', 'In Progress', 'Waiting for Parts', 'Waiting on Customer', 'Resolved', 'Scheduled'];
export const PRIORITIES = ['0 Urgent', '1 High', '2 Normal', '3 Low', null];
export const TAGS = ['vip', 'onsite', 'remote', 'warranty', 'rush', 'café'];
export const TECHS = ['Alex Tech', 'Jordan Admin', 'Renée Support', '李 技术'];
export const ASSET_TYPES = ['Laptop', 'Desktop', 'Server', 'Printer', 'Router', 'Phone', 'Dodrio'];
export const PRODUCTS = [
  'USB-C Cable',
  'SSD 1TB',
  '16GB RAM',
  'Screen Protector',
  'Wireless Mouse',
  'Ethernet Switch 8-port',
  'Café Grinder Part',
  '充電器',
];
export const PAYMENT_METHODS = ['Cash', 'Check', 'Credit Card', 'ACH', 'Other'];
export const CONTRACT_STATUSES = ['Opportunity', 'Active', 'Expired', 'Cancelled'];
export const LEAD_STATUSES = ['New', 'Contacted', 'Converted', 'Lost'];
export const APPOINTMENT_TYPE_NAMES = [
  'Office Hours',
  'On-site Visit',
  'Remote Session',
  'Drop-off',
  'Pick-up',
  'Consultation',
  'Installation',
  'Maintenance',
  'Training',
  'Follow-up',
  'Rendez-vous',
  '打ち合わせ',
];
export const LOCATIONS = ['In Shop', 'Customer Site', 'Remote', null];
