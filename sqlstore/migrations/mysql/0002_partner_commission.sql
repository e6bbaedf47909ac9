-- A partner's custom commission, as JSON (SPEC §4.2); NULL for none.
ALTER TABLE commission_partners ADD COLUMN commission MEDIUMTEXT;
