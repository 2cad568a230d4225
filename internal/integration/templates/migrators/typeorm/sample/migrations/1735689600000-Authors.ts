import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Authors1735689600000 implements MigrationInterface {
  name = 'Authors1735689600000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "authors" ("id" SERIAL NOT NULL, "name" text NOT NULL, CONSTRAINT "PK_authors" PRIMARY KEY ("id"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "authors"`);
  }
}
