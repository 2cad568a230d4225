import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Books1735776000000 implements MigrationInterface {
  name = 'Books1735776000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "books" ("id" SERIAL NOT NULL, "author_id" integer NOT NULL, "title" text NOT NULL, CONSTRAINT "PK_books" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "books_author_id_idx" ON "books" ("author_id")`);
    await queryRunner.query(
      `ALTER TABLE "books" ADD CONSTRAINT "FK_books_author" FOREIGN KEY ("author_id") REFERENCES "authors"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "books"`);
  }
}
