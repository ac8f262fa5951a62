import { Column, Entity, Index } from 'typeorm';
import { TenantEntity } from '../../db/columns';

/** A UTM tag: a named registration link (`utm_source`, `utm_campaign`…) to print or post. */
@Entity('utm_tags')
@Index('ux_utm_tags', ['businessId', 'source', 'campaign'], { unique: true })
export class UtmTag extends TenantEntity {
  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Lower-cased, as guests' `utmSource` is stored. */
  @Column({ type: 'varchar', length: 100 })
  source: string;

  /** Lower-cased; `''` for none. */
  @Column({ type: 'varchar', length: 100, default: '' })
  campaign: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  medium: string | null;

  /** The registration page the link opens. */
  @Column({ type: 'varchar', length: 64 })
  formSlug: string;
}
