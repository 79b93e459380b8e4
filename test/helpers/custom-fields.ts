/** What the simulator's custom fields must become as columns: the tests' own reading of docs/custom-fields.md. */
import type { CustomFieldTruth, FieldTruth } from '../../src/simulator/custom-fields.js';

export type Stream = keyof CustomFieldTruth;
export const STREAMS: Stream[] = ['tickets', 'customers', 'customer_assets'];

/**
 * The columns the simulator's definitions (src/simulator/custom-fields.ts) must give, written from the
 * naming rules of docs/custom-fields.md: by field name and kind (check box or not), with its type.
 */
export const EXPECTED: Record<Stream, Record<string, [string, 'string' | 'boolean']>> = {
  tickets: {
    'Warranty |other': ['cf_warranty', 'string'],
    'Service Order No. |other': ['cf_service_order_no', 'string'],
    'Model No.:|other': ['cf_model_no', 'string'],
    'Rush|check': ['cf_rush', 'boolean'],
    'Backup Requires|other': ['cf_backup_requires', 'string'],
    'Date Received|other': ['cf_date_received', 'string'],
    'IMEI|other': ['cf_imei', 'string'],
    'Confidential|other': ['cf_confidential', 'string'],
    'Notes|other': ['cf_notes', 'string'],
    'notes|other': ['cf_notes_2', 'string'],
    'Rush|other': ['cf_rush_2', 'string'],
    'Item Condition |other': ['cf_item_condition', 'string'],
    'Special Requirement |other': ['cf_special_requirement', 'string'],
  },
  customers: {
    'Tier|other': ['cf_tier', 'string'],
    'Reg No.|other': ['cf_reg_no', 'string'],
    'Vat No.|other': ['cf_vat_no', 'string'],
    'VIP|check': ['cf_vip', 'boolean'],
  },
  customer_assets: {
    'Model No.:|other': ['cf_model_no', 'string'],
    'OS|other': ['cf_os', 'string'],
    'Warranty?|check': ['cf_warranty', 'boolean'],
    'RAID level|other': ['cf_raid_level', 'string'],
    'Toner|other': ['cf_toner', 'string'],
    'IMEI No.|other': ['cf_imei_no', 'string'],
  },
};

const columnOf = (stream: Stream, t: FieldTruth) => EXPECTED[stream][`${t.name}|${t.field_type === 'check_box' ? 'check' : 'other'}`]![0];

/** A record's columns and _drifted members as the truth says they must be. */
export function expectedOf(stream: Stream, truth: FieldTruth[]): { columns: Record<string, unknown>; drifted: Record<string, unknown> } {
  const columns: Record<string, unknown> = Object.fromEntries(Object.values(EXPECTED[stream]).map(([column]) => [column, null]));
  const drifted: Record<string, unknown> = {};
  for (const t of truth) {
    if (t.hidden) continue;
    const column = columnOf(stream, t);
    if (t.misfit !== undefined) drifted[column] = t.misfit;
    else columns[column] = t.meaning;
  }
  return { columns, drifted };
}
