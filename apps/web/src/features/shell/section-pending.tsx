import type { ComponentType, SVGProps } from 'react';
import { PageHeader } from './page-header';

/** A console section whose screens are not built yet; says so plainly instead of faking data. */
export function SectionPending({
  title,
  description,
  icon: IconComponent,
  planned,
}: {
  title: string;
  description: string;
  icon: ComponentType<SVGProps<SVGSVGElement>>;
  planned: string;
}) {
  return (
    <>
      <PageHeader title={title} description={description} />
      <section className="panel">
        <div className="empty-state">
          <IconComponent className="empty-state-icon" />
          <h2>Not available yet</h2>
          <p>{planned}</p>
        </div>
      </section>
    </>
  );
}
