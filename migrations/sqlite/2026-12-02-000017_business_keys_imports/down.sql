DROP TABLE imports;
DROP INDEX org_units_code;
ALTER TABLE org_units DROP COLUMN code;
DROP INDEX customers_customer_no;
ALTER TABLE customers DROP COLUMN customer_no;
