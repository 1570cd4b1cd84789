-- lobbyq customer directory, format 1: example data (synthetic people).
-- Hashes use the public demo secret kiosk.directory.DEMO_SECRET; bookings are
-- relative to when it was generated. Regenerate with:
--   python -m kiosk.directory example example.sqlite
BEGIN TRANSACTION;
CREATE TABLE appointments (
    ref_hash TEXT PRIMARY KEY CHECK (length(ref_hash) BETWEEN 16 AND 128),
    customer_hash TEXT,
    service TEXT NOT NULL,
    due REAL NOT NULL
);
INSERT INTO "appointments" VALUES('5a86159261bd6b4e9de7ebb9176d02ec73e3bf9078e5c7a21036e4f7356a34b9','2c627441da3127b69cd603574c2025e168748497cbe36106f4debedc3261bdff','B',1.79545562632300782206e+09);
INSERT INTO "appointments" VALUES('3a59117842e94e4f2f180ef8d35363b691606f65f61b0e33c8f0e9e29b253110','e697bca1a3a6be2aa51b0dd0cf210576af341dc08c63250750cdcc0b5f8a52fa','A',1.79546612632300782203e+09);
CREATE TABLE customers (
    hash TEXT PRIMARY KEY CHECK (length(hash) BETWEEN 16 AND 128),
    kind TEXT NOT NULL CHECK (kind IN ('card', 'id')),
    tier TEXT NOT NULL CHECK (tier IN ('normal', 'vip', 'care')),
    masked TEXT NOT NULL CHECK (length(masked) <= 32)
);
INSERT INTO "customers" VALUES('4b6286503a6bacfdbbb0943c6c4b64caddde1ae0f4c5805eadfaec91b81dcd4f','card','vip','**** 0014');
INSERT INTO "customers" VALUES('84c4bc1e5b78fe1f46a23848304a866c22c9599be6c3266ab12adea7f9f65cab','id','vip','王**');
INSERT INTO "customers" VALUES('c7da2f010f77094a40cdb0b94a466a93fda0401017f50434d1eb4ca8a52017ba','card','care','**** 0022');
INSERT INTO "customers" VALUES('402fb1f25123cc4e09616d73d7ff6e36526e58b53e79fe4517e9aeae4c90c616','id','care','陈**');
INSERT INTO "customers" VALUES('2c627441da3127b69cd603574c2025e168748497cbe36106f4debedc3261bdff','card','normal','**** 0030');
INSERT INTO "customers" VALUES('f18913d313bbff5dff7a6caea08b45313215e0fcd2ad6d58e9bef0ee7a0cfcfc','id','normal','A*********');
INSERT INTO "customers" VALUES('e697bca1a3a6be2aa51b0dd0cf210576af341dc08c63250750cdcc0b5f8a52fa','card','normal','**** 0048');
INSERT INTO "customers" VALUES('d5bcc9ce11e66f7ccfff48b1712df231cc68b8da0346517e52b3b99cb4cf35b9','id','normal','李**');
INSERT INTO "customers" VALUES('6da76c461ff70f73179351528703c9d3425d9febe79b8c601fa121087bfa09d9','card','normal','**** 0055');
INSERT INTO "customers" VALUES('e45cfb6d90ef38a0bccd8c2ef45e929d2b3ac11f186ec7ea7dbe4c1792fcc4ab','id','normal','J*********');
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO "meta" VALUES('format','lobbyq-directory');
INSERT INTO "meta" VALUES('version','1');
INSERT INTO "meta" VALUES('synced_at','2026-11-23T17:35:26.323008+00:00');
CREATE INDEX appointments_by_customer ON appointments (customer_hash, due);
COMMIT;
