import { Column, Entity, Index } from 'typeorm';
import { RefColumn, TenantEntity, TimeColumn } from '../../db/columns';

/** A guest's review after a visit: rating 1–5 and an optional text. */
@Entity('reviews')
@Index('ix_reviews_business_time', ['businessId', 'createdAt'])
export class Review extends TenantEntity {
  @RefColumn({ nullable: true })
  guestId: string | null;

  @RefColumn({ nullable: true })
  cardId: string | null;

  @Column({ type: 'int' })
  rating: number;

  @Column({ type: 'text', nullable: true })
  text: string | null;

  /** Where the review came from: pass (back of the card), notification, link. */
  @Column({ type: 'varchar', length: 16 })
  channel: string;

  /** The public map the guest was offered afterwards (yandex, 2gis, google), if any. */
  @Column({ type: 'varchar', length: 16, nullable: true })
  offeredMap: string | null;

  @TimeColumn({ nullable: true })
  redirectedAt: Date | null;
}

/** A business's review settings. */
@Entity('review_settings')
@Index('ux_review_settings', ['businessId'], { unique: true })
export class ReviewSettings extends TenantEntity {
  @Column({ type: 'varchar', length: 500, nullable: true })
  yandexUrl: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  twogisUrl: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  googleUrl: string | null;

  /**
   * Off (default): every reviewer is offered the public maps. On: only 4–5★ reviewers are — review
   * gating, which Google and Yandex forbid; the owner turns it on knowingly.
   */
  @Column({ type: 'boolean', default: false })
  onlyHighRatings: boolean;

  /** When the owner acknowledged the review-gating warning (required to turn `onlyHighRatings` on). */
  @TimeColumn({ nullable: true })
  gatingAcknowledgedAt: Date | null;
}
