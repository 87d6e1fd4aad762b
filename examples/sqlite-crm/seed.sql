-- A small CRM to try the connector with:
--   sqlite3 crm.db < schema.sql && sqlite3 crm.db < seed.sql
INSERT INTO companies VALUES
	(2001, 'Analytical Engines Ltd', '2024-03-01T09:00:00Z'),
	(2002, 'Difference Works',       '2024-03-01T09:00:00Z');
INSERT INTO contacts VALUES
	(1001, 'Ada',     'Lovelace',   2001, 'ada@example.com', 'u-17', '+44 20 4520 5757',      '07911 123456', '2024-03-01T09:00:00Z'),
	(1002, 'Charles', 'Babbage',    2001, NULL,              NULL,   '020 7946 0999',         NULL,           '2024-03-02T09:00:00Z'),
	(1003, 'Mary',    'Somerville', 2002, NULL,              NULL,   '+44 (0)20 7946 0999',   NULL,           '2024-03-03T09:00:00Z'),
	(1004, 'Grace',   'Hopper',     NULL, NULL,              NULL,   '0044-20-7946-0123 x42', NULL,           '2024-03-04T09:00:00Z'),
	(1005, 'Alan',    'Turing',     NULL, NULL,              NULL,   '02079465757',           NULL,           '2024-03-05T09:00:00Z');
